package dev.rosarium.infra;

import dev.rosarium.activities.tracking.LocalMlflowServer;
import dev.rosarium.infra.temporal.EmbeddedTemporal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The real servers of the integration tests: the Temporal frontend and MLflow server that
 * tools/run-tests started ({@code ROSARIUM_TEMPORAL}, {@code MLFLOW_TRACKING_URI}); when a test runs
 * alone without them, Temporal's Java test server on a port and a local MLflow server instead.
 */
final class Services implements AutoCloseable {
    final String temporal;
    final String mlflow;
    private final EmbeddedTemporal embedded;
    private final LocalMlflowServer localMlflow;

    private Services(String temporal, String mlflow, EmbeddedTemporal embedded, LocalMlflowServer localMlflow) {
        this.temporal = temporal;
        this.mlflow = mlflow;
        this.embedded = embedded;
        this.localMlflow = localMlflow;
    }

    static Services start(Path tmp) throws IOException {
        String t = System.getenv("ROSARIUM_TEMPORAL");
        String m = System.getenv("MLFLOW_TRACKING_URI");
        EmbeddedTemporal e = null;
        LocalMlflowServer l = null;
        if (t == null || t.isBlank()) {
            e = EmbeddedTemporal.start(0);
            t = e.address();
        }
        if (m == null || m.isBlank()) {
            l = LocalMlflowServer.start(tmp.resolve("mlflow"));
            m = l.uri();
        }
        return new Services(t, m, e, l);
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
        if (localMlflow != null) {
            localMlflow.close();
        }
    }

    static Path dataRoot() throws IOException {
        return dev.rosarium.core.tasks.DataFiles.defaultRoot();
    }
}
