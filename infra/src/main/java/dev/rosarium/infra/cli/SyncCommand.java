package dev.rosarium.infra.cli;

import dev.rosarium.activities.tracking.SyncReport;
import dev.rosarium.activities.tracking.Tracker;
import dev.rosarium.activities.tracking.TrackingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code rosarium sync}: ships what the tracking outbox still holds to the MLflow server. */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Send the tracking events that are still in the local outbox (left by an outage or a stopped worker) to MLflow. "
                + "Exits 0 when nothing is left, 1 when events remain or were refused, 2 without a server.")
public final class SyncCommand implements Callable<Integer> {
    @Option(names = "--outbox", description = "Outbox directory (default: $ROSARIUM_OUTBOX or .rosarium/outbox).")
    Path outbox;

    @Option(names = "--tracking-uri", description = "MLflow server (default: $MLFLOW_TRACKING_URI).")
    String trackingUri;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = outbox != null ? outbox : TrackingConfig.defaultOutboxDir();
        String uri = trackingUri != null ? trackingUri : System.getenv("MLFLOW_TRACKING_URI");
        if (uri == null || uri.isBlank()) {
            err.println("no tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI");
            return 2;
        }
        if (!Files.isDirectory(dir)) {
            out.println("outbox " + dir + " does not exist: nothing to ship");
            return 0;
        }
        // The experiment of each event is in the event; the configured one is not used for shipping.
        try (Tracker tracker = Tracker.open(new TrackingConfig(uri, dir, "Default"))) {
            SyncReport r = tracker.sync();
            out.printf("shipped %d events to %s; %d refused by the server; %d repeated metric points dropped%n",
                    r.shipped(), uri, r.rejected(), r.duplicatePointsDropped());
            out.printf("left in %s: %d events%s%n", dir, r.pending(),
                    r.segmentsHeldElsewhere() > 0 ? " (" + r.segmentsHeldElsewhere() + " segments held by running workers, which ship them)" : "");
            if (r.tornTails() > 0) {
                out.printf("%d segments ended in a half-written event (their writer died while appending); it was dropped%n", r.tornTails());
            }
            if (r.failure() != null) {
                err.println("stopped: " + r.failure());
            }
            if (r.rejected() > 0) {
                err.println("refused events and the server's reasons: " + dir.resolve("rejected.jsonl"));
            }
            return r.complete() ? 0 : 1;
        }
    }
}
