package dev.rosarium.activities.trial;

import io.temporal.activity.ActivityInterface;

import java.util.Map;

/**
 * The tracking runs of sweeps and trials: one parent run per sweep, one child run per trial, keyed
 * by workflow id so a repeated call maps to the same run. A trial's outcome (finished, failed,
 * pruned, cancelled) becomes its run status (FINISHED, FAILED, KILLED, KILLED) and a tag.
 */
@ActivityInterface
public interface TrialTracking {
    void sweepStarted(String sweepId, String name, String experiment, Map<String, String> params);

    /** Opens the trial's run (under its sweep's), logs its settings and its configuration file. */
    void trialStarted(TrialConfig trial, Map<String, String> settings);

    void trialEnded(TrialConfig trial, String outcome);

    /** {@code outcome}: finished or cancelled. */
    void sweepEnded(String sweepId, String experiment, String outcome, Map<String, Double> summary);
}
