package dev.rosarium.workflows;

import java.util.Map;

/** A trial's held-out metrics at the end of a training segment, sent to its sweep. */
public record RungReport(int trial, int rung, long step, Map<String, Double> metrics) {
}
