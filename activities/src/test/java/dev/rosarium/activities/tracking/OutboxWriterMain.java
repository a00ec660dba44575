package dev.rosarium.activities.tracking;

import java.nio.file.Path;
import java.util.Map;

/**
 * A worker process for {@link WorkerCrashTest}: logs metrics without a server and prints each step
 * once its call has returned, until it is killed.
 */
public final class OutboxWriterMain {
    private OutboxWriterMain() {
    }

    public static void main(String[] args) {
        Tracker t = Tracker.open(new TrackingConfig(null, Path.of(args[0]), args[1]));
        t.startRun("trial", "trial", null, Map.of());
        for (long step = 0; ; step++) {
            t.logMetrics("trial", Map.of("loss", 1.0 / (step + 1)), step);
            System.out.println(step);
            System.out.flush();
        }
    }
}
