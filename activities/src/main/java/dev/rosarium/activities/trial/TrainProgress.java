package dev.rosarium.activities.trial;

import java.util.Map;

/**
 * Where training stands after a segment: the step reached out of the total, the checkpoint at that
 * step, the held-out metrics there, and how the segment ran (the step it resumed from, steps it ran).
 */
public record TrainProgress(long step, long totalSteps, String checkpoint, Map<String, Double> metrics,
                            long resumedFrom, long stepsRun) {
}
