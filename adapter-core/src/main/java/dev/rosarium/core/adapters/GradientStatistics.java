package dev.rosarium.core.adapters;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

/**
 * RoSA's mask statistic for one layer: the running mean, over backward passes (micro-batches), of
 * the dense weight gradient {@code G = dO^T X} squared (the empirical diagonal Fisher,
 * {@code mean_squared}) or as is ({@code mean}). The mask keeps the top {@code floor(d*n*m)} entries
 * by magnitude.
 */
public final class GradientStatistics implements AutoCloseable {
    /** What is averaged. */
    public enum Mode {
        MEAN_SQUARED,
        MEAN
    }

    private final Mode mode;
    private final Tensor acc;
    private long count;

    public GradientStatistics(Backend be, int rows, int cols, Mode mode) {
        this.mode = mode;
        this.acc = be.zeros(DType.F32, rows, cols);
    }

    /** Folds in one micro-batch: {@code dOut (T, rows)}, {@code x (T, cols)}. */
    public void accumulate(Tensor dOut, Tensor x) {
        Backend be = acc.backend();
        try (Tensor g = be.zeros(DType.F32, acc.shape())) {
            be.gemm(dOut, true, x, false, g, 1f, 0f);
            Tensor sample = mode == Mode.MEAN_SQUARED ? be.binary(BinaryOp.MUL, g, g) : g;
            // acc = (acc * c + g) / (c + 1), as the authors' running mean
            float keep = (float) count / (count + 1);
            Tensor scaled = be.scale(acc, keep);
            be.copy(scaled, acc);
            scaled.close();
            be.axpy(1f / (count + 1), sample, acc);
            if (sample != g) {
                sample.close();
            }
        }
        count++;
    }

    public long count() {
        return count;
    }

    /** The top-{@code floor(d*n*m)} entries of {@code |statistic|}. */
    public SparseMask mask(double density) {
        Backend be = acc.backend();
        int rows = acc.dim(0);
        int cols = acc.dim(1);
        int k = SparseMask.nnzFor(density, rows, cols);
        Tensor magnitude = mode == Mode.MEAN_SQUARED ? acc : be.unary(dev.rosarium.core.tensor.UnaryOp.SQUARE, acc);
        int[] top = be.topk(magnitude.reshape(rows * cols), k).toInts();
        if (magnitude != acc) {
            magnitude.close();
        }
        return SparseMask.fromFlatIndices(rows, cols, top);
    }

    public Tensor statistic() {
        return acc;
    }

    @Override
    public void close() {
        acc.close();
    }
}
