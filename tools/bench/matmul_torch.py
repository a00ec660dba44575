#!/usr/bin/env python3
"""The PyTorch CPU peer of dev.rosarium.bench.MatmulBench: same shapes, same timing rule, same JSON lines."""
import json
import sys
import time

import torch


def main(shapes, threads):
    torch.set_num_threads(threads)
    warm_a, warm_b = torch.randn(256, 512), torch.randn(512, 384)
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:
        torch.matmul(warm_a, warm_b)
    for s in shapes:
        m, k, n = (int(x) for x in s.split("x"))
        for trans_b in (False, True):
            a = torch.randn(m, k)
            b = torch.randn(n, k) if trans_b else torch.randn(k, n)
            bb = b.t() if trans_b else b
            c = torch.empty(m, n)
            flop = 2.0 * m * n * k
            reps = int(max(3, min(200, 2e10 / flop)))
            for _ in range(max(2, reps // 4)):
                torch.matmul(a, bb, out=c)
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(reps):
                    torch.matmul(a, bb, out=c)
                best = min(best, (time.perf_counter() - t0) / reps)
            print(json.dumps({"impl": "torch", "shape": s, "transB": trans_b, "seconds": best,
                              "gflops": round(flop / best / 1e9, 2), "threads": threads,
                              "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    shapes = sys.argv[2:] or ["1024x1024x1024", "2048x2048x2048", "64x384x1536", "512x2048x5632"]
    main(shapes, int(sys.argv[1]) if len(sys.argv) > 1 else 2)
