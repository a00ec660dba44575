package dev.rosarium.activities.tracking;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where tracking events go. {@code trackingUri} is the MLflow server ({@code http(s)://host:port});
 * null or empty keeps every event in the outbox until a later {@link Tracker#sync()} with a server.
 */
public record TrackingConfig(String trackingUri, Path outboxDir, String experimentName) {
    public TrackingConfig {
        Objects.requireNonNull(outboxDir, "outboxDir");
        if (experimentName == null || experimentName.isBlank()) {
            throw new IllegalArgumentException("experimentName must be a non-empty MLflow experiment name");
        }
        if (experimentName.contains("'")) {
            throw new IllegalArgumentException("experimentName '" + experimentName + "' contains a single quote, which MLflow searches cannot match");
        }
        if (trackingUri != null && trackingUri.isBlank()) {
            trackingUri = null;
        }
        if (trackingUri != null && !(trackingUri.startsWith("http://") || trackingUri.startsWith("https://"))) {
            throw new IllegalArgumentException("tracking URI '" + trackingUri
                    + "' is not supported: expected an MLflow server address http(s)://host:port");
        }
        if (trackingUri != null && trackingUri.endsWith("/")) {
            trackingUri = trackingUri.substring(0, trackingUri.length() - 1);
        }
    }

    /** The server named by {@code MLFLOW_TRACKING_URI} (outbox only when it is unset). */
    public static TrackingConfig fromEnv(Path outboxDir, String experiment) {
        return new TrackingConfig(System.getenv("MLFLOW_TRACKING_URI"), outboxDir, experiment);
    }

    /**
     * Where a worker keeps its outbox unless told otherwise: {@code $ROSARIUM_OUTBOX}, else
     * {@code .rosarium/outbox} in the project directory ({@code -Drosarium.home}, else the working
     * directory). {@code rosarium sync} reads the same place.
     */
    public static Path defaultOutboxDir() {
        String env = System.getenv("ROSARIUM_OUTBOX");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("rosarium.home", ".")).toAbsolutePath().normalize().resolve(".rosarium/outbox");
    }

    public boolean online() {
        return trackingUri != null;
    }
}
