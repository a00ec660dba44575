package dev.rosarium.core.linalg;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reconstruction to fp32 rounding (|W| ~ 1: 1e-5), orthonormal factors, descending values. */
class ThinSvdTest {
    private final Backend be = CpuBackend.get();

    @ParameterizedTest
    @CsvSource({"20,7", "7,20", "33,33", "64,48"})
    void decomposes(int m, int n) {
        Tensor w = be.zeros(DType.F32, m, n);
        be.fillNormal(w, 0f, 1f, m * 100L + n, 0);
        ThinSvd.Result r = ThinSvd.of(w);
        int k = Math.min(m, n);
        assertEquals(k, r.s().dim(0));
        assertTrue(ThinSvd.reconstructionError(w, r) < 1e-4 * Math.sqrt(k), "reconstruction");
        float[] s = r.s().toFloats();
        for (int i = 1; i < k; i++) {
            assertTrue(s[i - 1] >= s[i], "singular values descending");
        }
        float[] u = r.u().toFloats();
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                double dot = 0;
                for (int i = 0; i < m; i++) {
                    dot += (double) u[i * k + a] * u[i * k + b];
                }
                assertEquals(a == b ? 1.0 : 0.0, dot, 1e-5, "U^T U at " + a + "," + b);
            }
        }
    }
}
