#!/usr/bin/env python3
"""A small GGUF file with one tensor per supported ggml type, and its dequantization by gguf-py.

    python tools/golden/make_gguf_golden.py adapter-core/src/test/resources/golden

Block contents are random bytes with the scale fields overwritten by finite half-precision values,
so every code path of each block format is exercised. gguf-py (llama.cpp's reference Python
package) dequantizes them into gguf_types.safetensors (fp32, PyTorch shape order).
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q, GGUFReader, GGUFWriter
from gguf.quants import dequantize
from safetensors.numpy import save_file

# (type, block elements, block bytes, byte offsets of f16 scales within a block)
TYPES = [
    (Q.F32, 1, 4, []), (Q.F16, 1, 2, []), (Q.BF16, 1, 2, []),
    (Q.Q4_0, 32, 18, [0]), (Q.Q4_1, 32, 20, [0, 2]), (Q.Q8_0, 32, 34, [0]),
    (Q.Q4_K, 256, 144, [0, 2]), (Q.Q6_K, 256, 210, [208]),
]


def main(out_dir):
    rng = np.random.default_rng(7)
    rows, cols = 2, 512
    w = GGUFWriter(f"{out_dir}/gguf_types.gguf", "llama")
    w.add_string("test.string", "héllo")
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -7)
    w.add_float32("test.f32", 1.5)
    w.add_bool("test.bool", True)
    w.add_array("test.array", [1, 2, 3])
    for qtype, blk, nbytes, scales in TYPES:
        n = rows * cols
        if qtype == Q.F32:
            raw = rng.standard_normal(n).astype(np.float32).view(np.uint8)
        elif qtype in (Q.F16,):
            raw = rng.standard_normal(n).astype(np.float16).view(np.uint8)
        elif qtype == Q.BF16:
            raw = (rng.standard_normal(n).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        else:
            raw = rng.integers(0, 256, size=(n // blk, nbytes), dtype=np.uint8)
            for off in scales:
                raw[:, off:off + 2] = (rng.uniform(0.001, 0.05, n // blk).astype(np.float16).view(np.uint8)
                                       .reshape(-1, 2))
            raw = raw.reshape(-1)
        byte_shape = (rows, cols // blk * nbytes)
        w.add_tensor(f"t.{qtype.name.lower()}", raw.reshape(byte_shape), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = GGUFReader(f"{out_dir}/gguf_types.gguf")
    out = {}
    for t in r.tensors:
        data = dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32)
        out[t.name] = np.ascontiguousarray(data.reshape(rows, cols))
    save_file(out, f"{out_dir}/gguf_types.safetensors")
    print("wrote", sorted(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "adapter-core/src/test/resources/golden")
