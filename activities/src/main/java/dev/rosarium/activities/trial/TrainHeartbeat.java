package dev.rosarium.activities.trial;

/** What a training activity heartbeats: the step done and the newest checkpoint (null before the first). */
public record TrainHeartbeat(long step, String checkpoint) {
}
