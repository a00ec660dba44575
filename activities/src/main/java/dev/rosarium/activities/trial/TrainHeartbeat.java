package dev.rosarium.activities.trial;

/**
 * What a training activity heartbeats: the step done out of the run's total and the newest
 * checkpoint (null before the first).
 */
public record TrainHeartbeat(long step, long totalSteps, String checkpoint) {
}
