package dev.rosarium.activities.tracking;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No metric is lost when the tracking server dies mid-run and comes back on the same store. */
class TrackerOutageTest {
    @Test
    void metricsLoggedWhileTheServerIsDownArriveExactlyOnceAfterSync() throws Exception {
        Path state = MlflowTestServer.tempDir("mlflow-outage");
        Path outbox = MlflowTestServer.tempDir("outbox");
        String exp = "outage";
        LocalMlflowServer server = LocalMlflowServer.start(state);
        String uri = server.uri();
        try (Tracker t = Tracker.open(new TrackingConfig(uri, outbox, exp))) {
            t.startRun("sweep", "sweep", null, Map.of());
            t.startRun("sweep/trial-0", "trial 0", "sweep", Map.of("rosarium.method", "lora"));
            t.logParams("sweep/trial-0", Map.of("lr", "0.01"));
            for (int s = 0; s < 100; s++) {
                t.logMetrics("sweep/trial-0", Map.of("loss", 1.0 / (s + 1), "step_time", 0.1), s);
            }
            assertTrue(t.flush(Duration.ofMinutes(1)), () -> "first part not shipped: " + t.lastFailure());

            // The server dies (no clean shutdown) while the shipper is busy with these points.
            for (int s = 100; s < 200; s++) {
                t.logMetrics("sweep/trial-0", Map.of("loss", 1.0 / (s + 1), "step_time", 0.1), s);
            }
            server.process().descendants().forEach(ProcessHandle::destroyForcibly);
            server.process().destroyForcibly();
            server.process().onExit().get();
            server.close();
            for (int s = 200; s < 300; s++) {
                t.logMetrics("sweep/trial-0", Map.of("loss", 1.0 / (s + 1), "step_time", 0.1), s);
            }
            t.setTags("sweep/trial-0", Map.of("rosarium.note", "survived an outage"));
            t.endRun("sweep/trial-0", RunStatus.FINISHED);
            t.endRun("sweep", RunStatus.FINISHED);
            assertFalse(t.flush(Duration.ofSeconds(2)), "nothing can ship while the server is down");
            SyncReport down = t.sync();
            assertFalse(down.complete());
            assertTrue(down.pending() >= 103, down::toString);
            assertTrue(down.failure() != null, down::toString);

            server = LocalMlflowServer.start(state);
            assertEquals(uri, server.uri(), "the server comes back on its old port");
            SyncReport up = t.sync();
            assertTrue(up.complete(), up::toString);
            assertEquals(0, up.pending());

            MlflowRest rest = new MlflowRest(uri);
            String runId = t.mlflowRunId("sweep/trial-0").orElseThrow();
            for (String key : List.of("loss", "step_time")) {
                List<JsonObject> h = rest.history(runId, key);
                assertEquals(300, h.size(), key);
                Set<Long> steps = new HashSet<>();
                h.forEach(p -> steps.add(p.get("step").getAsLong()));
                assertEquals(300, steps.size(), key + " has a step twice");
            }
            JsonObject run = rest.run(runId);
            assertEquals("FINISHED", run.getAsJsonObject("info").get("status").getAsString());
            assertEquals("survived an outage", MlflowRest.tags(run).get("rosarium.note"));
            assertEquals(t.mlflowRunId("sweep").orElseThrow(), MlflowRest.tags(run).get("mlflow.parentRunId"));
        } finally {
            server.close();
        }
    }
}
