package dev.rosarium.core.cpu;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blocked GEMM against a double-precision triple loop, over shapes that exercise every edge:
 * partial MR and NR tiles, several KC slices, transposes, batches with a broadcast B, alpha and beta.
 * Tolerance: fp32 accumulation over k terms of unit-variance products drifts ~sqrt(k) * eps32 * |c|,
 * so 1e-5 * sqrt(k) relative to the row's magnitude.
 */
class CpuGemmTest {
    private final Backend be = CpuBackend.get();

    @ParameterizedTest
    @CsvSource({
        "1,1,1,1,false,false,1,0", "7,13,5,1,false,false,1,0", "6,16,256,1,false,false,1,0",
        "37,45,300,1,true,false,1,0", "37,45,300,1,false,true,0.5,0", "64,70,513,1,true,true,1,1",
        "100,3200,40,1,false,true,1,0.25", "5,7,9,4,false,false,2,0", "3,70,300,1,false,true,1,0.5", "8,45,37,1,true,false,1,0", "2,1000,20,1,false,false,1,0", "50,40,30,3,true,true,1,0.5",
        "128,96,600,2,false,true,1,0"})
    void matchesReference(int m, int n, int k, int batch, boolean ta, boolean tb, float alpha, float beta) {
        Random rnd = new Random(m * 31L + n * 7L + k);
        boolean broadcastB = batch == 4;
        int batchB = broadcastB ? 1 : batch;
        float[] a = randn(rnd, batch * m * k);
        float[] b = randn(rnd, batchB * k * n);
        float[] c = randn(rnd, batch * m * n);
        Tensor ta4 = be.fromFloats(a, DType.F32, batch, ta ? k : m, ta ? m : k);
        Tensor tb4 = be.fromFloats(b, DType.F32, batchB, tb ? n : k, tb ? k : n);
        Tensor tc = be.fromFloats(c, DType.F32, batch, m, n);
        be.gemm(ta4, ta, tb4, tb, tc, alpha, beta);
        float[] got = tc.toFloats();
        for (int x = 0; x < batch; x++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a[x * m * k + p * m + i] : a[x * m * k + i * k + p];
                        int bb = broadcastB ? 0 : x * k * n;
                        double bv = tb ? b[bb + j * k + p] : b[bb + p * n + j];
                        s += av * bv;
                    }
                    int ci = x * m * n + i * n + j;
                    double want = alpha * s + beta * c[ci];
                    double tol = 1e-5 * Math.sqrt(k) * (Math.sqrt(k) + Math.abs(want));
                    assertTrue(Math.abs(want - got[ci]) <= tol,
                            "C[" + x + "," + i + "," + j + "] = " + got[ci] + ", want " + want);
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"200,300,400", "64,384,1536"})
    void isDeterministic(int m, int n, int k) {
        Random rnd = new Random(3);
        Tensor a = be.fromFloats(randn(rnd, m * k), DType.F32, m, k);
        Tensor b = be.fromFloats(randn(rnd, k * n), DType.F32, n, k);
        Tensor c1 = be.zeros(DType.F32, m, n);
        Tensor c2 = be.zeros(DType.F32, m, n);
        be.gemm(a, false, b, true, c1, 1f, 0f);
        be.gemm(a, false, b, true, c2, 1f, 0f);
        assertArrayEquals(c1.toFloats(), c2.toFloats(), 0f);
    }

    static float[] randn(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
