package dev.rosarium.core.train;

import dev.rosarium.core.tensor.Philox;

/**
 * Where a micro-batch sits in training. Each random draw (one per dropout site) gets its own
 * Philox key, derived from the run's seed, the step, the micro-batch and the site, and reads that
 * stream from position 0: draws never overlap however large a tensor or long a run is, and the
 * random state of a run is just its seed and step (nothing to snapshot; a resumed run draws the
 * same numbers).
 */
public record StepContext(long step, int microBatch, long seed) {
    /** The Philox key for the {@code slot}-th random draw of this micro-batch. */
    public long randomSeed(int slot) {
        return Philox.deriveKey(seed, step, microBatch, slot);
    }
}
