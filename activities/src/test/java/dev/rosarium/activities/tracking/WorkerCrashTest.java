package dev.rosarium.activities.tracking;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A worker killed mid-logging loses nothing that its calls had accepted: the next process ships it. */
class WorkerCrashTest {
    @Test
    void everyAcceptedPointOfAKilledWorkerReachesTheServer() throws Exception {
        Path outbox = MlflowTestServer.tempDir("outbox");
        String exp = MlflowTestServer.uniqueExperiment("crash");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process worker = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                OutboxWriterMain.class.getName(), outbox.toString(), exp)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long lastAccepted = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (lastAccepted < 300 && (line = out.readLine()) != null) {
                lastAccepted = Long.parseLong(line.strip());
            }
            worker.destroyForcibly();
            worker.waitFor();
        }
        assertTrue(lastAccepted >= 300, "the worker logged " + (lastAccepted + 1) + " points");

        String uri = MlflowTestServer.uri();
        try (Tracker next = Tracker.open(new TrackingConfig(uri, outbox, exp))) {
            SyncReport r = next.sync();
            assertTrue(r.complete(), r::toString);
            List<JsonObject> history = new MlflowRest(uri).history(next.mlflowRunId("trial").orElseThrow(), "loss");
            // Everything accepted is there; a point logged after the last print may be there too.
            assertTrue(history.size() >= lastAccepted + 1, history.size() + " points for " + (lastAccepted + 1) + " accepted");
            long[] steps = history.stream().mapToLong(p -> p.get("step").getAsLong()).sorted().toArray();
            for (int i = 0; i < steps.length; i++) {
                assertEquals(i, steps[i], "steps are 0.." + (steps.length - 1) + ", each once");
            }
        }
    }
}
