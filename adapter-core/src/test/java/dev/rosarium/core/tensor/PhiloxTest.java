package dev.rosarium.core.tensor;

import dev.rosarium.core.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class PhiloxTest {
    @Test
    void knownAnswerFromTheRandom123Suite() {
        // Random123 kat_vectors: philox4x32 10 rounds, counter 0 and key 0
        int[] out = new int[4];
        Philox.block(0L, 0L, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
    }

    @Test
    void streamsDependOnlyOnSeedAndPosition() {
        Backend be = CpuBackend.get();
        Tensor whole = be.zeros(DType.F32, 1000);
        be.fillUniform(whole, 0f, 1f, 42, 0);
        Tensor tail = be.zeros(DType.F32, 400);
        be.fillUniform(tail, 0f, 1f, 42, 600);
        float[] w = whole.toFloats();
        float[] t = tail.toFloats();
        for (int i = 0; i < 400; i++) {
            assertEquals(w[600 + i], t[i], 0f);
        }
        Tensor other = be.zeros(DType.F32, 1000);
        be.fillUniform(other, 0f, 1f, 43, 0);
        assertNotEquals(w[0], other.toFloats()[0]);
    }

    @Test
    void uniformAndNormalMoments() {
        Backend be = CpuBackend.get();
        int n = 200_000;
        Tensor u = be.zeros(DType.F32, n);
        be.fillUniform(u, -1f, 3f, 7, 0);
        Tensor z = be.zeros(DType.F32, n);
        be.fillNormal(z, 0.5f, 2f, 7, 0);
        double[] mu = moments(u.toFloats());
        double[] mz = moments(z.toFloats());
        assertEquals(1.0, mu[0], 0.02);
        assertEquals(16.0 / 12, mu[1], 0.02);
        assertEquals(0.5, mz[0], 0.02);
        assertEquals(4.0, mz[1], 0.05);
    }

    private static double[] moments(float[] x) {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        double mean = s / x.length;
        double v2 = 0;
        for (float v : x) {
            v2 += (v - mean) * (v - mean);
        }
        return new double[] {mean, v2 / x.length};
    }
}
