#!/usr/bin/env python3
"""NF4 with double quantization as bitsandbytes computes it (its CPU path), for Rosarium's codec test.

    python tools/golden/make_nf4_golden.py adapter-core/src/test/resources/golden

Quantizes a (16, 512) fp32 weight with quantize_4bit(blocksize=64, compress_statistics=True,
quant_type="nf4") and stores the input, every part of the quantized state and the dequantized
weight in nf4_bnb.safetensors.
"""
import sys

import bitsandbytes as bnb
import bitsandbytes.functional as F
import torch
from safetensors.torch import save_file


def main(out_dir):
    g = torch.Generator().manual_seed(3)
    w = torch.randn(16, 512, generator=g) * 0.05
    w[3, 7] = 0.0
    w[5, :64] = 0.01  # a block of equal values
    q, st = F.quantize_4bit(w, blocksize=64, compress_statistics=True, quant_type="nf4")
    deq = F.dequantize_4bit(q, st)
    save_file({
        "weight": w.contiguous(),
        "packed": q.flatten().contiguous(),
        "absmax_q": st.absmax.flatten().contiguous(),
        "absmax2": st.state2.absmax.flatten().float().contiguous(),
        "code2": st.state2.code.float().contiguous(),
        "offset": torch.tensor([float(st.offset)]),
        "nf4": st.code.float().contiguous(),
        "dequantized": deq.float().contiguous(),
    }, f"{out_dir}/nf4_bnb.safetensors", metadata={"bitsandbytes": bnb.__version__,
                                                    "blocksize": "64", "blocksize2": str(st.state2.blocksize)})
    print("wrote", out_dir, "max |w - deq|", (w - deq).abs().max().item(), "blocksize2", st.state2.blocksize)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "adapter-core/src/test/resources/golden")
