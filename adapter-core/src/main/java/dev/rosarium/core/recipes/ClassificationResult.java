package dev.rosarium.core.recipes;

import java.util.Map;

/** What a classification run measured: held-out metrics before and after training, and its cost. */
public record ClassificationResult(Map<String, Double> before, Map<String, Double> after, long steps,
                                   double finalLoss, double trainSeconds, long trainableParams) {
}
