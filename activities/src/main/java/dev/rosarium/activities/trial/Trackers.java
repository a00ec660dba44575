package dev.rosarium.activities.trial;

import dev.rosarium.activities.tracking.Tracker;
import dev.rosarium.activities.tracking.TrackingConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A worker's trackers, one per experiment, all over one outbox directory. */
public final class Trackers implements AutoCloseable {
    private final String trackingUri;
    private final Path outboxDir;
    private final Map<String, Tracker> open = new ConcurrentHashMap<>();

    /** {@code trackingUri} null or empty: events wait in the outbox for {@code rosarium sync}. */
    public Trackers(String trackingUri, Path outboxDir) {
        this.trackingUri = trackingUri;
        this.outboxDir = outboxDir;
    }

    public Tracker of(String experiment) {
        return open.computeIfAbsent(experiment, e -> Tracker.open(new TrackingConfig(trackingUri, outboxDir, e)));
    }

    /** Waits until every tracker shipped its events (true) or the timeout passed. */
    public boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean all = true;
        for (Tracker t : open.values()) {
            all &= t.flush(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return all;
    }

    @Override
    public void close() {
        open.values().forEach(Tracker::close);
    }
}
