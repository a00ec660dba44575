package dev.rosarium.bench;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.Locale;

/**
 * CPU matrix-product throughput. Each argument is a shape {@code MxKxN} ({@code C(M,N) = A(M,K) B(K,N)});
 * for each, both the plain product and the nn.Linear form {@code x W^T} (B stored (N,K)) are
 * timed after warm-up, best of several repetitions, and printed as one JSON line per case, the
 * same lines tools/bench/matmul_torch.py prints for the peer.
 */
public final class MatmulBench {
    private MatmulBench() {
    }

    /** Two seconds of mixed products so every kernel variant is JIT-compiled before timing starts. */
    private static void warmUp(Backend be) {
        Tensor a = be.zeros(DType.F32, 256, 512);
        Tensor b = be.zeros(DType.F32, 512, 384);
        Tensor bt = be.zeros(DType.F32, 384, 512);
        Tensor c = be.zeros(DType.F32, 256, 384);
        long end = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < end) {
            be.gemm(a, false, b, false, c, 1f, 0f);
            be.gemm(a, false, bt, true, c, 1f, 0f);
        }
    }

    public static void main(String[] args) {
        Backend be = CpuBackend.get();
        String[] shapes = args.length > 0 ? args : new String[] {"1024x1024x1024", "2048x2048x2048", "64x384x1536",
                "512x2048x5632"};
        warmUp(be);
        for (String s : shapes) {
            String[] p = s.split("x");
            int m = Integer.parseInt(p[0]);
            int k = Integer.parseInt(p[1]);
            int n = Integer.parseInt(p[2]);
            for (boolean transB : new boolean[] {false, true}) {
                Tensor a = be.zeros(DType.F32, m, k);
                Tensor b = transB ? be.zeros(DType.F32, n, k) : be.zeros(DType.F32, k, n);
                Tensor c = be.zeros(DType.F32, m, n);
                be.fillNormal(a, 0f, 1f, 1, 0);
                be.fillNormal(b, 0f, 1f, 2, 0);
                double flop = 2.0 * m * n * k;
                int reps = (int) Math.max(3, Math.min(200, 2e10 / flop));
                for (int i = 0; i < Math.max(2, reps / 4); i++) {
                    be.gemm(a, false, b, transB, c, 1f, 0f);
                }
                double best = Double.MAX_VALUE;
                for (int round = 0; round < 5; round++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        be.gemm(a, false, b, transB, c, 1f, 0f);
                    }
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
                }
                System.out.printf(Locale.ROOT, "{\"impl\":\"rosarium\",\"shape\":\"%s\",\"transB\":%b,\"seconds\":%.6g,"
                        + "\"gflops\":%.2f,\"threads\":%d}%n", s, transB, best, flop / best / 1e9,
                        dev.rosarium.core.cpu.Parallel.threads());
            }
        }
    }
}
