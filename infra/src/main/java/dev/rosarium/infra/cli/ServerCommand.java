package dev.rosarium.infra.cli;

import dev.rosarium.activities.tracking.LocalMlflowServer;
import dev.rosarium.infra.temporal.EmbeddedTemporal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code rosarium server}: the embedded stack as a process of its own. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Serve the embedded stack until stopped: Temporal's Java test server (state in memory) and a "
                + "local MLflow server (SQLite store and artifacts under --mlflow-dir).")
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", description = "Temporal frontend port (default: ${DEFAULT-VALUE}).")
    int port = 7233;

    @Option(names = "--mlflow-dir", description = "MLflow state directory (default: ${DEFAULT-VALUE}).")
    Path mlflowDir = Path.of(".rosarium", "work", "mlflow");

    @Option(names = "--no-mlflow", description = "Serve Temporal only.")
    boolean noMlflow;

    @Override
    public Integer call() throws Exception {
        EmbeddedTemporal temporal = EmbeddedTemporal.start(port);
        LocalMlflowServer mlflow = noMlflow ? null : LocalMlflowServer.start(mlflowDir.toAbsolutePath());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            temporal.close();
            if (mlflow != null) {
                try {
                    mlflow.close();
                } catch (Exception e) {
                    System.err.println("rosarium server: " + e.getMessage());
                }
            }
            stop.countDown();
        }));
        System.out.println("Temporal: " + temporal.address() + "   (export ROSARIUM_TEMPORAL=" + temporal.address() + ")");
        if (mlflow != null) {
            System.out.println("MLflow:   " + mlflow.uri() + "   (export MLFLOW_TRACKING_URI=" + mlflow.uri() + ")");
        }
        stop.await();
        return 0;
    }
}
