package dev.rosarium.infra.cli;

import dev.rosarium.activities.tracking.LocalMlflowServer;
import dev.rosarium.activities.tracking.RunStatus;
import dev.rosarium.activities.tracking.Tracker;
import dev.rosarium.activities.tracking.TrackingConfig;
import dev.rosarium.infra.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rosarium sync} ships an outbox left by a worker that had no server, against a real MLflow server. */
class SyncCommandTest {
    @Test
    void syncShipsWhatIsLeftAndSaysSoInItsExitCode() throws Exception {
        Path outbox = Files.createTempDirectory("outbox");
        String exp = "sync-" + System.nanoTime();
        try (Tracker worker = Tracker.open(new TrackingConfig(null, outbox, exp))) {
            worker.startRun("trial", "trial", null, Map.of());
            worker.logMetrics("trial", Map.of("loss", 0.5), 0);
            worker.endRun("trial", RunStatus.FINISHED);
        }

        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        Result down = sync(outbox, "http://127.0.0.1:" + deadPort);
        assertEquals(1, down.code, down.text);
        assertTrue(down.text.contains("shipped 0 events"), down.text);
        assertTrue(down.text.contains(": 3 events"), down.text);

        String env = System.getenv("MLFLOW_TRACKING_URI");
        LocalMlflowServer own = env == null || env.isBlank() ? LocalMlflowServer.start(Files.createTempDirectory("mlflow")) : null;
        try {
            String uri = own != null ? own.uri() : env;
            Result up = sync(outbox, uri);
            assertEquals(0, up.code, up.text);
            assertTrue(up.text.contains("shipped 3 events"), up.text);
            assertTrue(up.text.contains(": 0 events"), up.text);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    uri + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + exp)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    private record Result(int code, String text) {
    }

    private static Result sync(Path outbox, String uri) {
        StringWriter text = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(text, true));
        cli.setErr(new PrintWriter(text, true));
        int code = cli.execute("sync", "--outbox", outbox.toString(), "--tracking-uri", uri);
        return new Result(code, text.toString());
    }
}
