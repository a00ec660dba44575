package dev.rosarium.core.recipes;

import java.util.Map;

/**
 * What a classification run measured: held-out metrics before training, after it, and after
 * merging the adapters into the weights (equal to {@code after} up to rounding), and its cost.
 */
public record ClassificationResult(Map<String, Double> before, Map<String, Double> after, Map<String, Double> merged,
                                   long steps,
                                   double finalLoss, double trainSeconds, long trainableParams) {
}
