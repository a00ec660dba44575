package dev.rosarium.workflows;

import dev.rosarium.activities.trial.TrialConfig;
import dev.rosarium.activities.trial.TrialTracking;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Tracking calls as they arrive, so a workflow test can check which runs opened and how they ended. */
final class RecordingTracking implements TrialTracking {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void sweepStarted(String sweepId, String name, String experiment, Map<String, String> params) {
        events.add("sweep-started " + sweepId);
    }

    @Override
    public void trialStarted(TrialConfig trial, Map<String, String> settings) {
        events.add("trial-started " + trial.trialId());
    }

    @Override
    public void trialEnded(String trialId, String status, Map<String, Double> metrics) {
        events.add("trial-ended " + trialId + " " + status);
    }

    @Override
    public void sweepEnded(String sweepId, String status, Map<String, Double> summary) {
        events.add("sweep-ended " + sweepId + " " + status);
    }
}
