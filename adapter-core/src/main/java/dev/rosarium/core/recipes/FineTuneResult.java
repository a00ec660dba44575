package dev.rosarium.core.recipes;

import java.util.Map;

/**
 * What a fine-tuning run measured: the task's held-out metrics before training, after it, and after
 * merging the adapters into the weights (equal to {@code after} up to rounding, or for a generative
 * task up to the greedy choices that rounding flips), and its cost.
 */
public record FineTuneResult(Map<String, Double> before, Map<String, Double> after, Map<String, Double> merged,
                                   long steps,
                                   double finalLoss, double trainSeconds, long trainableParams) {
}
