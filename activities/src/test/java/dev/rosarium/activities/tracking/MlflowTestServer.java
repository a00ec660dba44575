package dev.rosarium.activities.tracking;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The MLflow server of the tests: the one named by {@code MLFLOW_TRACKING_URI} (CI starts it), else
 * one local server for the whole test JVM, started through {@link LocalMlflowServer}.
 */
final class MlflowTestServer {
    private static String uri;

    private MlflowTestServer() {
    }

    static synchronized String uri() {
        if (uri != null) {
            return uri;
        }
        String env = System.getenv("MLFLOW_TRACKING_URI");
        if (env != null && !env.isBlank()) {
            uri = env;
            return uri;
        }
        try {
            LocalMlflowServer server = LocalMlflowServer.start(Files.createTempDirectory("rosarium-mlflow-test"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // The JVM is exiting; the process tree is gone with it or soon after.
                }
            }));
            uri = server.uri();
            return uri;
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot start a local MLflow server for the tests", ex);
        }
    }

    static String uniqueExperiment(String prefix) {
        return prefix + "-" + System.nanoTime();
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
