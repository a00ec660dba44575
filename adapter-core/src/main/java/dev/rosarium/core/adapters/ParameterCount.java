package dev.rosarium.core.adapters;

import dev.rosarium.core.optim.NamedParameter;

import java.util.Collection;
import java.util.List;

/**
 * Trainable-parameter budgets. {@link #actual} counts what trains; {@link #paperConvention}
 * reproduces the RoSA paper's #Params column, which charges every adapted weight matrix
 * {@code r * (rows + cols)} for the low-rank part and {@code floor(d * rows * cols)} for the sparse
 * part, and includes the embedding and the LM head in that sum although the released code adapts
 * neither (methods.md, "budget arithmetic").
 */
public final class ParameterCount {
    private ParameterCount() {
    }

    public static long actual(List<NamedParameter> params) {
        return params.stream().mapToLong(p -> p.variable().value().numel()).sum();
    }

    /** @param matrices (rows, cols) of every linear weight plus the embedding and the LM head */
    public static long paperConvention(Collection<int[]> matrices, int r, double density) {
        long total = 0;
        for (int[] m : matrices) {
            total += (long) r * (m[0] + m[1]) + SparseMask.nnzFor(density, m[0], m[1]);
        }
        return total;
    }
}
