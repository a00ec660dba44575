package dev.rosarium.core.adapters;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.Arrays;

/**
 * The fixed support of a sparse adapter over an {@code (rows, cols)} weight, in CSR: row offsets and
 * the column of each non-zero, row-major with ascending columns within a row (what
 * {@code scipy.sparse.csr_matrix(mask)} produces from a boolean mask).
 */
public record SparseMask(int rows, int cols, int[] rowOffs, int[] colIdx) {
    public SparseMask {
        if (rowOffs.length != rows + 1 || rowOffs[rows] != colIdx.length) {
            throw new IllegalArgumentException("CSR offsets do not describe " + colIdx.length + " non-zeros in "
                    + rows + " rows");
        }
    }

    public int nnz() {
        return colIdx.length;
    }

    /** RoSA's budget: {@code floor(d * rows * cols)} computed in float64, as the authors do. */
    public static int nnzFor(double density, int rows, int cols) {
        return (int) (density * ((double) rows * cols));
    }

    /**
     * A uniformly random mask of RoSA's budget at {@code density} (benchmarks and tests; a trained
     * mask comes from gradient statistics).
     */
    public static SparseMask random(int rows, int cols, double density, java.util.Random r) {
        int[] flat = r.ints(0, rows * cols).distinct().limit(nnzFor(density, rows, cols)).toArray();
        return fromFlatIndices(rows, cols, flat);
    }

    /** A mask from flat row-major indices (any order, no duplicates). */
    public static SparseMask fromFlatIndices(int rows, int cols, int[] flat) {
        int[] sorted = flat.clone();
        Arrays.sort(sorted);
        int[] offs = new int[rows + 1];
        int[] cidx = new int[sorted.length];
        for (int k = 0; k < sorted.length; k++) {
            int r = sorted[k] / cols;
            if (k > 0 && sorted[k] == sorted[k - 1]) {
                throw new IllegalArgumentException("duplicate index " + sorted[k]);
            }
            offs[r + 1]++;
            cidx[k] = sorted[k] % cols;
        }
        for (int r = 0; r < rows; r++) {
            offs[r + 1] += offs[r];
        }
        return new SparseMask(rows, cols, offs, cidx);
    }

    /** Flat row-major index of every non-zero, in CSR order. */
    public int[] flatIndices() {
        int[] out = new int[nnz()];
        for (int r = 0; r < rows; r++) {
            for (int k = rowOffs[r]; k < rowOffs[r + 1]; k++) {
                out[k] = r * cols + colIdx[k];
            }
        }
        return out;
    }

    /**
     * peft-rosa's {@code row_idx}: rows ordered by descending non-zero count (a load-balancing
     * permutation for its kernels); ties keep row order here.
     */
    public int[] rowsByDescendingCount() {
        Integer[] order = new Integer[rows];
        for (int r = 0; r < rows; r++) {
            order[r] = r;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(rowOffs[b + 1] - rowOffs[b], rowOffs[a + 1] - rowOffs[a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    public Tensor rowOffsTensor(Backend be) {
        return be.fromInts(rowOffs, DType.I32, rows + 1);
    }

    public Tensor colIdxTensor(Backend be) {
        return be.fromInts(colIdx, DType.I32, colIdx.length);
    }
}
