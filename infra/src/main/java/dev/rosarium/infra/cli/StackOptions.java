package dev.rosarium.infra.cli;

import dev.rosarium.activities.tracking.TrackingConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the services and files of a command are. */
public final class StackOptions {
    @Option(names = "--temporal", paramLabel = "HOST:PORT",
            description = "Temporal frontend (default: $ROSARIUM_TEMPORAL; if unset, commands that can start an "
                    + "embedded Temporal test server in this process do so).")
    String temporal = System.getenv("ROSARIUM_TEMPORAL");

    @Option(names = "--namespace", description = "Temporal namespace (default: ${DEFAULT-VALUE}).")
    String namespace = "default";

    @Option(names = "--mlflow", paramLabel = "URI",
            description = "MLflow tracking server (default: $MLFLOW_TRACKING_URI; if unset, tracking events wait in "
                    + "the outbox for `rosarium sync`).")
    String mlflow = System.getenv("MLFLOW_TRACKING_URI");

    @Option(names = "--outbox", paramLabel = "DIR",
            description = "Tracking outbox, where events wait until MLflow has them (default: $ROSARIUM_OUTBOX or "
                    + ".rosarium/outbox; `rosarium sync` reads the same).")
    Path outbox = TrackingConfig.defaultOutboxDir();

    @Option(names = "--work", paramLabel = "DIR",
            description = "Work directory for prepared data, masks, checkpoints and models; "
                    + "workers that share trials must share it (default: $ROSARIUM_WORK or .rosarium/work).")
    Path work = System.getenv("ROSARIUM_WORK") != null ? Path.of(System.getenv("ROSARIUM_WORK"))
            : Path.of(".rosarium", "work");

    @Option(names = "--data", paramLabel = "DIR",
            description = "Data directory holding sst2/, mrpc/, ... (default: $ROSARIUM_DATA or ../shared/data).")
    Path data;
}
