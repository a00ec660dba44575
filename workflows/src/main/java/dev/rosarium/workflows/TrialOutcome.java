package dev.rosarium.workflows;

import java.util.Map;

/**
 * A trial as its sweep records it: its sampled parameters, status, and its newest held-out
 * metrics (the final evaluation when finished, the last rung's when pruned), and where a finished
 * trial's merged model and adapter are (the adapter is null for methods without an adapter file).
 */
public record TrialOutcome(int index, String trialId, Map<String, String> params, TrialStatus status,
                           Map<String, Double> metrics, long steps, String modelDirectory, String adapterDirectory) {
    public TrialOutcome {
        params = Map.copyOf(params);
        metrics = Map.copyOf(metrics);
    }
}
