package dev.rosarium.core.autograd;

import dev.rosarium.core.autograd.GradCheck.Input;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;

/** Finite-difference checks of every differentiable op the tape records. */
class OpGradientTest {
    private final Backend be = CpuBackend.get();
    private final Random rnd = new Random(7);

    @Test
    void matmulTransposedWeight() {
        GradCheck.check(be, List.of(Input.random(rnd, 2, 3, 5), Input.random(rnd, 4, 5)),
                (t, v) -> t.matmul(v.get(0), v.get(1), true), 1);
    }

    @Test
    void lowRankLinearSharingItsInput() {
        GradCheck.check(be, List.of(Input.random(rnd, 2, 3, 6), Input.random(rnd, 5, 6), Input.random(rnd, 2, 6),
                        Input.random(rnd, 5, 2)),
                (t, v) -> t.lowRankLinear(v.get(0), v.get(1), v.get(0), v.get(2), v.get(3), 1.5f), 21);
    }

    @Test
    void lowRankLinearWithASeparateAdapterInput() {
        GradCheck.check(be, List.of(Input.random(rnd, 4, 6), Input.random(rnd, 5, 6), Input.random(rnd, 4, 6),
                        Input.random(rnd, 3, 6), Input.random(rnd, 5, 3)),
                (t, v) -> t.lowRankLinear(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), 0.5f), 22);
    }

    @Test
    void matmulPlainWeightLargeEnoughForPacking() {
        GradCheck.check(be, List.of(Input.random(rnd, 9, 20), Input.random(rnd, 20, 19)),
                (t, v) -> t.matmul(v.get(0), v.get(1), false), 2);
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryWithBroadcast(BinaryOp op) {
        Input b = Input.random(rnd, 4);
        if (op == BinaryOp.DIV) {
            for (int i = 0; i < b.data().length; i++) {
                b.data()[i] = 1.5f + Math.abs(b.data()[i]);
            }
        }
        GradCheck.check(be, List.of(Input.random(rnd, 3, 4), b), (t, v) -> t.binary(op, v.get(0), v.get(1)), 3);
        GradCheck.check(be, List.of(Input.random(rnd, 3, 4), shift(Input.random(rnd, 3, 4), op)),
                (t, v) -> t.binary(op, v.get(0), v.get(1)), 4);
    }

    private static Input shift(Input in, BinaryOp op) {
        if (op == BinaryOp.DIV) {
            for (int i = 0; i < in.data().length; i++) {
                in.data()[i] = 1.5f + Math.abs(in.data()[i]);
            }
        }
        return in;
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unary(UnaryOp op) {
        Input x = Input.random(rnd, 3, 5);
        if (op == UnaryOp.RELU) {
            for (int i = 0; i < x.data().length; i++) {
                x.data()[i] += Math.signum(x.data()[i]) * 0.1f; // keep away from the kink
            }
        }
        GradCheck.check(be, List.of(x), (t, v) -> t.unary(op, v.get(0)), 5);
    }

    @Test
    void scaleSumMean() {
        GradCheck.check(be, List.of(Input.random(rnd, 2, 3)), (t, v) -> t.scale(v.get(0), -2.5f), 6);
        GradCheck.check(be, List.of(Input.random(rnd, 2, 3)), (t, v) -> t.mean(v.get(0)), 7);
    }

    @Test
    void softmax() {
        GradCheck.check(be, List.of(Input.random(rnd, 3, 6)), (t, v) -> t.softmax(v.get(0)), 8);
    }

    @Test
    void layerNormWithAndWithoutBias() {
        GradCheck.check(be, List.of(Input.random(rnd, 4, 6), Input.random(rnd, 6), Input.random(rnd, 6)),
                (t, v) -> t.layerNorm(v.get(0), v.get(1), v.get(2), 1e-5f), 9);
        GradCheck.check(be, List.of(Input.random(rnd, 4, 6), Input.random(rnd, 6)),
                (t, v) -> t.layerNorm(v.get(0), v.get(1), null, 1e-5f), 10);
    }

    @Test
    void rmsNorm() {
        GradCheck.check(be, List.of(Input.random(rnd, 4, 6), Input.random(rnd, 6)),
                (t, v) -> t.rmsNorm(v.get(0), v.get(1), 1e-6f, 0f), 11);
        GradCheck.check(be, List.of(Input.random(rnd, 4, 6), Input.random(rnd, 6)),
                (t, v) -> t.rmsNorm(v.get(0), v.get(1), 1e-6f, 1f), 12);
    }

    @Test
    void rope() {
        int maxPos = 8;
        int half = 2;
        float[] cos = new float[maxPos * half];
        float[] sin = new float[maxPos * half];
        for (int p = 0; p < maxPos; p++) {
            for (int j = 0; j < half; j++) {
                double ang = p / Math.pow(10000, 2.0 * j / (2 * half));
                cos[p * half + j] = (float) Math.cos(ang);
                sin[p * half + j] = (float) Math.sin(ang);
            }
        }
        Tensor c = be.fromFloats(cos, DType.F32, maxPos, half);
        Tensor s = be.fromFloats(sin, DType.F32, maxPos, half);
        Tensor pos = be.fromInts(new int[] {0, 3, 5, 1, 2, 7}, DType.I32, 2, 3);
        GradCheck.check(be, List.of(Input.random(rnd, 2, 3, 2, 4)), (t, v) -> t.rope(v.get(0), c, s, pos), 13);
    }

    @Test
    void embedding() {
        Tensor ids = be.fromInts(new int[] {1, 4, 1, 0}, DType.I32, 2, 2);
        GradCheck.check(be, List.of(Input.random(rnd, 5, 3)), (t, v) -> t.embedding(v.get(0), ids), 14);
    }

    @Test
    void crossEntropyWithIgnoredRows() {
        Tensor targets = be.fromInts(new int[] {2, -100, 0, 6}, DType.I32, 4);
        GradCheck.check(be, List.of(Input.random(rnd, 2, 2, 7)), (t, v) -> t.crossEntropy(v.get(0), targets, -100),
                15);
    }

    @Test
    void attentionCausalGqaWithPadding() {
        Tensor mask = be.fromInts(new int[] {1, 1, 1, 1, 1, 1, 0, 0}, DType.I32, 2, 4);
        GradCheck.check(be, List.of(Input.random(rnd, 2, 4, 4, 3), Input.random(rnd, 2, 4, 2, 3),
                        Input.random(rnd, 2, 4, 2, 3)),
                (t, v) -> t.attention(v.get(0), v.get(1), v.get(2), mask, true, 0.5f), 16);
    }

    @Test
    void attentionBidirectionalShorterQuery() {
        GradCheck.check(be, List.of(Input.random(rnd, 1, 2, 2, 3), Input.random(rnd, 1, 5, 2, 3),
                        Input.random(rnd, 1, 5, 2, 3)),
                (t, v) -> t.attention(v.get(0), v.get(1), v.get(2), null, true, 0.7f), 17);
    }

    @Test
    void reshapeAndDropout() {
        GradCheck.check(be, List.of(Input.random(rnd, 2, 6)), (t, v) -> t.dropout(t.reshape(v.get(0), 3, 4), 0.25f, 99, 0), 18);
    }

}
