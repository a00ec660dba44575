package dev.rosarium.workflows;

import java.util.Map;

/** What a trial's query answers: its current step of the path, training progress and latest metrics. */
public record TrialView(String stage, int rung, long step, long totalSteps, Map<String, Double> metrics) {
}
