package dev.rosarium.core.train;

/**
 * A method's own schedule around the optimizer step; {@code step} is the 0-based step being taken.
 */
public interface StepHook {
    /** Before the first micro-batch's forward. */
    default void beforeStep(long step) {
    }

    /** After every micro-batch's backward and the clipping, before the optimizer updates. */
    default void beforeOptimizerStep(long step) {
    }

    /** After the update and the gradients were cleared. */
    default void afterStep(long step) {
    }
}
