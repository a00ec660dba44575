#!/usr/bin/env python3
"""Golden fixtures for adapter-core's engine tests, produced by the reference implementations.

Run with a Python that has torch, numpy and safetensors:
    python tools/golden/make_engine_golden.py adapter-core/src/test/resources/golden

Writes:
  torch_tensors.safetensors  tensors of every dtype, saved by safetensors.torch (the reference writer)
  torch_tensors.json         their values, as PyTorch reads them back
  optimizers.json            AdamW and SGD trajectories from torch.optim on fixed gradients
  rounding.json              float32 -> bfloat16 / float16 rounding as torch does it
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file


def tensors():
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(3, 5, generator=g) * 3
    return {
        "f32": base.clone(),
        "f64": (base * 1.5).double(),
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "i64": torch.arange(-6, 6, dtype=torch.int64).reshape(4, 3) * 1000003,
        "i32": torch.arange(-10, 10, dtype=torch.int32).reshape(2, 10) * 70001,
        "i16": torch.tensor([-32768, -1, 0, 1, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, -5, 0, 5, 127], dtype=torch.int8),
        "u8": torch.tensor([[0, 1, 128], [200, 254, 255]], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 4),
    }


def as_list(t):
    if t.dtype == torch.bool:
        return t.to(torch.int32).flatten().tolist()
    if t.is_floating_point():
        return t.float().flatten().tolist()
    return t.flatten().tolist()


def optimizer_trajectories():
    g = torch.Generator().manual_seed(99)
    init = torch.randn(3, 4, generator=g)
    grads = [torch.randn(3, 4, generator=g) for _ in range(4)]
    out = {"init": init.flatten().tolist(), "shape": [3, 4], "grads": [x.flatten().tolist() for x in grads], "runs": []}
    configs = [
        ("adamw", dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
        ("adamw", dict(lr=3e-3, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.0)),
        ("sgd", dict(lr=5e-2, momentum=0.9, weight_decay=0.01)),
        ("sgd", dict(lr=1e-1, momentum=0.0, weight_decay=0.0)),
    ]
    for kind, cfg in configs:
        p = torch.nn.Parameter(init.clone())
        opt = torch.optim.AdamW([p], **cfg) if kind == "adamw" else torch.optim.SGD([p], **cfg)
        steps = []
        for gr in grads:
            p.grad = gr.clone()
            opt.step()
            steps.append(p.detach().flatten().tolist())
        cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()}
        out["runs"].append({"kind": kind, "config": cfg, "after_each_step": steps})
    return out


def rounding_cases():
    vals = [0.0, -0.0, 1.0, 1.00390625, 1.005859375, 1.0078125 + 2 ** -9, 3.14159265, -2.718281828,
            65504.0, 65520.0, 1e-8, 6e-8, 1e-5, 3.0e38, -1e-40, float("inf"), float("-inf")]
    g = torch.Generator().manual_seed(5)
    vals += (torch.randn(64, generator=g) * torch.logspace(-6, 6, 64)).tolist()
    t = torch.tensor(vals, dtype=torch.float32)
    return {
        "input": t.tolist(),
        "bf16_bits": t.bfloat16().view(torch.int16).tolist(),
        "f16_bits": t.half().view(torch.int16).tolist(),
    }


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ts = tensors()
    save_file(ts, str(out / "torch_tensors.safetensors"), metadata={"format": "pt", "made_by": "make_engine_golden.py"})
    desc = {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "values": as_list(v)}
            for k, v in ts.items()}
    (out / "torch_tensors.json").write_text(json.dumps(desc, indent=1))
    (out / "optimizers.json").write_text(json.dumps(optimizer_trajectories()))
    (out / "rounding.json").write_text(json.dumps(rounding_cases()))
    print("torch", torch.__version__, "->", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "adapter-core/src/test/resources/golden")
