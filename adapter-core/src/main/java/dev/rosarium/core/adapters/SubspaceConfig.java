package dev.rosarium.core.adapters;

/**
 * ROSA, random subspace adaptation (Hameed et al.): each targeted weight is split by its SVD into a
 * frozen part and a trainable rank-{@code rank} slice of singular directions; every
 * {@code resampleEverySteps} optimizer steps the slice is merged back and a new one is drawn
 * (a contiguous window at a random start, or the {@code TOP}/{@code BOTTOM} singular values), with
 * the optimizer state reset and the learning-rate schedule continuing.
 */
public record SubspaceConfig(int rank, TargetModules targets, Sampling sampling, int resampleEverySteps) {
    /** Which singular directions train. */
    public enum Sampling {
        RANDOM,
        TOP,
        BOTTOM
    }

    public SubspaceConfig {
        if (rank < 1 || resampleEverySteps < 0) {
            throw new IllegalArgumentException("ROSA needs rank >= 1 and resampleEverySteps >= 0 (0: never)");
        }
    }
}
