package dev.rosarium.workflows;

import java.util.Map;

/**
 * A trial as its sweep records it: its sampled parameters, status, and its newest held-out
 * metrics (the final evaluation when finished, the last rung's when pruned).
 */
public record TrialOutcome(int index, String trialId, Map<String, String> params, TrialStatus status,
                           Map<String, Double> metrics, long steps) {
    public TrialOutcome {
        params = Map.copyOf(params);
        metrics = Map.copyOf(metrics);
    }
}
