package dev.rosarium.workflows;

import java.util.List;
import java.util.Map;

/** What a sweep carries into its next run when it continues as new. */
public record SweepState(int nextIndex, List<TrialOutcome> outcomes, Map<Integer, Map<Integer, Double>> rungValues,
                         boolean paused) {
}
