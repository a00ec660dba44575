package dev.rosarium.core.train;

/**
 * Where a micro-batch sits in training. Randomness (dropout) is drawn from the counter-based
 * generator at offsets derived from these numbers, so the random state of a run is just its seed
 * and step: nothing to snapshot, and a resumed run draws the same numbers.
 */
public record StepContext(long step, int microBatch, long seed) {
    /** Stream offset for the {@code slot}-th random draw (e.g. one per dropout site) of this micro-batch. */
    public long randomOffset(int slot) {
        return (((step * 4096L) + microBatch) * 4096L + slot) << 24;
    }
}
