package dev.rosarium.workflows;

import java.util.List;

/**
 * A sweep's progress (its query and its result): trials planned and started, the recorded
 * outcomes, the running trial ids, the best trial so far by the objective (null before one finished).
 */
public record SweepProgress(String sweepId, String name, String objective, int planned, int started,
                            List<TrialOutcome> outcomes, List<String> running, boolean paused, boolean cancelled,
                            TrialOutcome best) {
    public long count(TrialStatus s) {
        return outcomes.stream().filter(o -> o.status() == s).count();
    }
}
