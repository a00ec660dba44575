package dev.rosarium.core.cpu;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.LowPrecision;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward values of CPU ops against closed forms (gradients are checked in OpGradientTest). */
class CpuOpsTest {
    private final Backend be = CpuBackend.get();

    @Test
    void geluMatchesErfForm() {
        Tensor x = be.fromFloats(new float[] {-3f, -1f, 0f, 0.5f, 2f}, DType.F32, 5);
        float[] y = be.unary(UnaryOp.GELU, x).toFloats();
        // torch.nn.functional.gelu(torch.tensor([-3., -1., 0., .5, 2.]))
        assertArrayEquals(new float[] {-0.0040496886f, -0.15865526f, 0f, 0.34573123f, 1.9544997f}, y, 1e-7f);
    }

    @Test
    void topkPicksLargestWithLowIndexTies() {
        Tensor x = be.fromFloats(new float[] {1f, 5f, 3f, 5f, -2f, 3f, 0f}, DType.F32, 7);
        assertArrayEquals(new int[] {1, 2, 3}, be.topk(x, 3).toInts());
        assertArrayEquals(new int[] {1, 2, 3, 5}, be.topk(x, 4).toInts());
        assertEquals(0, be.topk(x, 0).numel());
    }

    @Test
    void bf16TensorsHoldRoundedValues() {
        Tensor x = be.fromFloats(new float[] {1.00390625f, 3.14159265f}, DType.BF16, 2);
        float[] v = x.toFloats();
        assertEquals(LowPrecision.roundBf16(1.00390625f), v[0], 0f);
        assertEquals(LowPrecision.roundBf16(3.14159265f), v[1], 0f);
        Tensor sum = be.binary(dev.rosarium.core.tensor.BinaryOp.ADD, x, x);
        assertEquals(LowPrecision.roundBf16(2 * v[1]), sum.toFloats()[1], 0f);
    }

    @Test
    void attentionRowWithoutVisibleKeysIsZero() {
        Tensor q = be.fromFloats(new float[] {1f, 2f}, DType.F32, 1, 1, 1, 2);
        Tensor k = be.fromFloats(new float[] {1f, 1f}, DType.F32, 1, 1, 1, 2);
        Tensor mask = be.fromInts(new int[] {0}, DType.I32, 1, 1);
        Backend.AttentionResult r = be.attention(q, k, k, mask, false, 1f);
        assertArrayEquals(new float[] {0f, 0f}, r.out().toFloats(), 0f);
        assertTrue(Float.isInfinite(r.logSumExp().toFloats()[0]));
    }

    @Test
    void badIdsAndShapesAreNamed() {
        Tensor table = be.zeros(DType.F32, 4, 2);
        Tensor ids = be.fromInts(new int[] {1, 9}, DType.I32, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.embedding(table, ids));
        assertTrue(e.getMessage().contains("token id 9"));
        Tensor a = be.zeros(DType.F32, 3, 4);
        Tensor b = be.zeros(DType.F32, 5, 4);
        assertThrows(IllegalArgumentException.class, () -> be.gemm(a, false, b, false, be.zeros(DType.F32, 3, 4), 1, 0));
    }
}
