package dev.rosarium.activities.tracking;

import java.util.Map;

/**
 * One call of the {@link Tracker}, as it is kept in the outbox. Every event names its experiment and
 * run key, so whichever process ships it (the logging worker, another worker, {@code rosarium sync})
 * needs nothing else; {@code time} is the wall clock of the call in epoch milliseconds, so a point
 * shipped twice is the same point.
 */
public sealed interface TrackingEvent {
    String experiment();

    String runKey();

    long time();

    record StartRun(String experiment, String runKey, long time, String runName, String parentRunKey,
                    Map<String, String> tags) implements TrackingEvent {
        public StartRun {
            tags = Map.copyOf(tags);
        }
    }

    record LogParams(String experiment, String runKey, long time, Map<String, String> params) implements TrackingEvent {
        public LogParams {
            params = Map.copyOf(params);
        }
    }

    record LogMetrics(String experiment, String runKey, long time, long step, Map<String, Double> metrics)
            implements TrackingEvent {
        public LogMetrics {
            metrics = Map.copyOf(metrics);
        }
    }

    record SetTags(String experiment, String runKey, long time, Map<String, String> tags) implements TrackingEvent {
        public SetTags {
            tags = Map.copyOf(tags);
        }
    }

    /** A file or directory referenced by absolute path; it is read when the event ships. */
    record LogArtifact(String experiment, String runKey, long time, String localPath, String artifactPath)
            implements TrackingEvent {
    }

    record EndRun(String experiment, String runKey, long time, RunStatus status) implements TrackingEvent {
    }
}
