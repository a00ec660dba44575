package dev.rosarium.activities.tracking;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tracker against a real MLflow server, checked through MLflow's REST API. */
class TrackerServerTest {
    private final String uri = MlflowTestServer.uri();
    private final MlflowRest rest = new MlflowRest(uri);

    @Test
    void sweepWithTrialsLandsAsParentAndChildRunsWithEverything() throws Exception {
        String exp = MlflowTestServer.uniqueExperiment("sweep");
        Path outbox = MlflowTestServer.tempDir("outbox");
        Path work = MlflowTestServer.tempDir("trial");
        Files.writeString(work.resolve("config.json"), "{\"method\":\"rosa\"}", StandardCharsets.UTF_8);
        Path adapter = Files.createDirectories(work.resolve("adapter"));
        Files.write(adapter.resolve("adapter_model.safetensors"), new byte[12345]);
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"r\":8}", StandardCharsets.UTF_8);
        Path masks = Files.createDirectories(work.resolve("masks"));
        Files.write(masks.resolve("layer0.mask"), new byte[77]);

        Map<String, String> manyParams = new LinkedHashMap<>();
        for (int i = 0; i < 150; i++) {
            manyParams.put("p" + i, "v" + i);
        }
        int steps = 1500;
        try (Tracker t = Tracker.open(new TrackingConfig(uri, outbox, exp))) {
            t.startRun("sweep-1", "sweep rosa", null, Map.of(RunTags.METHOD, "rosa", RunTags.GIT_COMMIT, "abc123"));
            t.startRun("sweep-1/trial-0", "trial 0", "sweep-1", Map.of("rosarium.method", "rosa"));
            t.startRun("sweep-1/trial-1", "trial 1", "sweep-1", Map.of("rosarium.method", "lora"));
            t.startRun("sweep-1/trial-2", "trial 2", "sweep-1", Map.of("rosarium.method", "spa"));
            t.logParams("sweep-1/trial-0", manyParams);
            t.logParams("sweep-1/trial-1", Map.of("lr", "0.001", "rank", "8"));
            for (int s = 0; s < steps; s++) {
                t.logMetrics("sweep-1/trial-0", Map.of("loss", 1.0 / (s + 1), "lr", 1e-3), s);
            }
            t.logMetrics("sweep-1/trial-1", Map.of("eval_accuracy", 0.5, "nan_metric", Double.NaN), 10);
            t.setTags("sweep-1/trial-0", Map.of("rosarium.status", "finished"));
            t.logArtifact("sweep-1/trial-0", work.resolve("config.json"), "");
            t.logArtifact("sweep-1/trial-0", adapter, "model");
            t.logArtifact("sweep-1/trial-0", masks, "");
            t.endRun("sweep-1/trial-0", RunStatus.FINISHED);
            t.endRun("sweep-1/trial-1", RunStatus.FAILED);
            t.endRun("sweep-1/trial-2", RunStatus.KILLED);
            t.endRun("sweep-1", RunStatus.FINISHED);
            assertTrue(t.flush(Duration.ofMinutes(3)), () -> "outbox not empty: " + t.lastFailure());
            assertEquals(t.mlflowRunId("sweep-1").orElseThrow(),
                    rest.runs(rest.experimentId(exp), "tags.`rosarium.run_key` = 'sweep-1'").get(0)
                            .getAsJsonObject("info").get("run_id").getAsString());
        }
        try (Stream<Path> left = Files.list(outbox)) {
            assertEquals(List.of(), left.toList(), "a shipped outbox holds no segment");
        }

        String expId = rest.experimentId(exp);
        List<JsonObject> runs = rest.runs(expId, null);
        assertEquals(4, runs.size());
        Map<String, JsonObject> byKey = new LinkedHashMap<>();
        for (JsonObject r : runs) {
            byKey.put(MlflowRest.tags(r).get(RunTags.RUN_KEY), r);
        }
        String parentId = byKey.get("sweep-1").getAsJsonObject("info").get("run_id").getAsString();
        assertEquals("FINISHED", status(byKey.get("sweep-1")));
        assertEquals("FINISHED", status(byKey.get("sweep-1/trial-0")));
        assertEquals("FAILED", status(byKey.get("sweep-1/trial-1")));
        assertEquals("KILLED", status(byKey.get("sweep-1/trial-2")));
        assertEquals("abc123", MlflowRest.tags(byKey.get("sweep-1")).get(RunTags.GIT_COMMIT));
        assertEquals("sweep rosa", byKey.get("sweep-1").getAsJsonObject("info").get("run_name").getAsString());
        for (int i = 0; i < 3; i++) {
            Map<String, String> tags = MlflowRest.tags(byKey.get("sweep-1/trial-" + i));
            assertEquals(parentId, tags.get("mlflow.parentRunId"));
            assertEquals("trial " + i, tags.get("mlflow.runName"));
        }
        assertEquals("lora", MlflowRest.tags(byKey.get("sweep-1/trial-1")).get("rosarium.method"));
        assertEquals("finished", MlflowRest.tags(byKey.get("sweep-1/trial-0")).get("rosarium.status"));

        String trial0 = byKey.get("sweep-1/trial-0").getAsJsonObject("info").get("run_id").getAsString();
        assertEquals(manyParams, MlflowRest.params(rest.run(trial0)));
        assertEquals(Map.of("lr", "0.001", "rank", "8"),
                MlflowRest.params(byKey.get("sweep-1/trial-1")));

        List<JsonObject> loss = rest.history(trial0, "loss");
        assertEquals(steps, loss.size());
        Set<Long> seen = new HashSet<>();
        for (JsonObject p : loss) {
            long s = p.get("step").getAsLong();
            assertTrue(seen.add(s), "step " + s + " twice");
            assertEquals(1.0 / (s + 1), p.get("value").getAsDouble(), 0.0);
        }
        assertEquals(steps, rest.history(trial0, "lr").size());
        String trial1 = byKey.get("sweep-1/trial-1").getAsJsonObject("info").get("run_id").getAsString();
        assertEquals(0.5, rest.history(trial1, "eval_accuracy").get(0).get("value").getAsDouble(), 0.0);
        assertEquals("NaN", rest.history(trial1, "nan_metric").get(0).get("value").getAsString());

        assertEquals(Map.of("config.json", 17L, "model", -1L, "masks", -1L), rest.artifacts(trial0, ""));
        assertEquals(Map.of("model/adapter", -1L), rest.artifacts(trial0, "model"));
        assertEquals(Map.of("model/adapter/adapter_model.safetensors", 12345L, "model/adapter/adapter_config.json", 7L),
                rest.artifacts(trial0, "model/adapter"));
        assertEquals(Map.of("masks/layer0.mask", 77L), rest.artifacts(trial0, "masks"));
    }

    @Test
    void aRetriedActivityReplayingStepsAddsOnlyTheNewOnes() {
        String exp = MlflowTestServer.uniqueExperiment("retry");
        try (Tracker first = Tracker.open(new TrackingConfig(uri, MlflowTestServer.tempDir("outbox"), exp))) {
            first.startRun("trial", "trial", null, Map.of());
            for (int s = 0; s < 10; s++) {
                first.logMetrics("trial", Map.of("loss", (double) s), s);
            }
            first.logMetrics("trial", Map.of("loss", -1.0), 3);
            assertTrue(first.flush(Duration.ofMinutes(1)));
        }
        // A second worker resumes from the checkpoint at step 5 and logs 5..14 again.
        try (Tracker second = Tracker.open(new TrackingConfig(uri, MlflowTestServer.tempDir("outbox"), exp))) {
            second.startRun("trial", "trial", null, Map.of());
            for (int s = 5; s < 15; s++) {
                second.logMetrics("trial", Map.of("loss", 100.0 + s), s);
            }
            second.endRun("trial", RunStatus.FINISHED);
            SyncReport r = second.sync();
            assertTrue(r.complete(), r::toString);
            assertTrue(second.flush(Duration.ofMinutes(1)));
            String runId = second.mlflowRunId("trial").orElseThrow();
            List<JsonObject> h = rest.history(runId, "loss");
            assertEquals(15, h.size());
            for (JsonObject p : h) {
                long s = p.get("step").getAsLong();
                assertEquals(s < 10 ? s : 100.0 + s, p.get("value").getAsDouble(), 0.0, "step " + s);
            }
            assertEquals(1, rest.runs(rest.experimentId(exp), null).size());
        }
    }

    @Test
    void eventsShippedAgainAfterALostAcknowledgementChangeNothing() throws Exception {
        String exp = MlflowTestServer.uniqueExperiment("replay");
        Path outbox = MlflowTestServer.tempDir("outbox");
        try (Tracker offline = Tracker.open(new TrackingConfig(null, outbox, exp))) {
            offline.startRun("trial", "trial", null, Map.of("rosarium.method", "lora"));
            offline.logParams("trial", Map.of("lr", "0.01"));
            for (int s = 0; s < 50; s++) {
                offline.logMetrics("trial", Map.of("loss", 1.0 / (s + 1)), s);
            }
            offline.endRun("trial", RunStatus.FINISHED);
        }
        // A copy of the segment plays the worker that shipped everything and died before it could
        // move its cursor: the same events go out a second time.
        Path replay = MlflowTestServer.tempDir("outbox");
        try (Stream<Path> files = Files.list(outbox)) {
            for (Path f : files.toList()) {
                Files.copy(f, replay.resolve(f.getFileName()));
            }
        }
        for (Path dir : List.of(outbox, replay)) {
            try (Tracker t = Tracker.open(new TrackingConfig(uri, dir, exp))) {
                SyncReport r = t.sync();
                assertTrue(r.complete(), r::toString);
                assertEquals(53, r.shipped(), r::toString);
                assertEquals(dir == replay ? 50 : 0, r.duplicatePointsDropped(), r::toString);
            }
        }
        List<JsonObject> runs = rest.runs(rest.experimentId(exp), null);
        assertEquals(1, runs.size());
        String runId = runs.get(0).getAsJsonObject("info").get("run_id").getAsString();
        assertEquals(50, rest.history(runId, "loss").size());
        assertEquals("FINISHED", status(runs.get(0)));
    }

    @Test
    void twoWorkersStartingTheSameRunKeyAtOnceShareOneRun() throws Exception {
        String exp = MlflowTestServer.uniqueExperiment("twoworkers");
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<Tracker> trackers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            Tracker t = Tracker.open(new TrackingConfig(uri, MlflowTestServer.tempDir("outbox"), exp));
            trackers.add(t);
            int worker = w;
            workers.add(new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException ex) {
                    return;
                }
                t.startRun("sweep-9/trial-3", "trial 3", null, Map.of());
                t.logMetrics("sweep-9/trial-3", Map.of("worker" + worker, 1.0), 0);
            }));
        }
        workers.forEach(Thread::start);
        go.countDown();
        for (Thread th : workers) {
            th.join();
        }
        for (Tracker t : trackers) {
            assertTrue(t.flush(Duration.ofMinutes(1)), () -> "not shipped: " + t.lastFailure());
        }
        String a = trackers.get(0).mlflowRunId("sweep-9/trial-3").orElseThrow();
        String b = trackers.get(1).mlflowRunId("sweep-9/trial-3").orElseThrow();
        trackers.forEach(Tracker::close);
        assertEquals(a, b);
        List<JsonObject> runs = rest.runs(rest.experimentId(exp), null);
        assertEquals(1, runs.size(), "one active run for the key");
        assertEquals(1, rest.history(a, "worker0").size());
        assertEquals(1, rest.history(a, "worker1").size());
    }

    @Test
    void aRunCreatedAtTheSameMomentElsewhereWinsWhenItIsOlder() throws Exception {
        String exp = MlflowTestServer.uniqueExperiment("race");
        String filter = "tags.`rosarium.run_key` = 'trial-7'";
        try (org.mlflow.tracking.MlflowClient client = new org.mlflow.tracking.MlflowClient(uri)) {
            RunResolver resolver = new RunResolver(client, Duration.ofSeconds(2));
            String expId = resolver.experimentId(exp);
            long start = System.currentTimeMillis();
            // Another worker creates the same key while this one waits out its settle delay.
            Thread other = new Thread(() -> {
                while (rest.runs(expId, filter).isEmpty()) {
                    Thread.onSpinWait();
                }
                JsonObject create = new JsonObject();
                create.addProperty("experiment_id", expId);
                create.addProperty("start_time", start - 1000);
                com.google.gson.JsonArray tags = new com.google.gson.JsonArray();
                JsonObject tag = new JsonObject();
                tag.addProperty("key", RunTags.RUN_KEY);
                tag.addProperty("value", "trial-7");
                tags.add(tag);
                create.add("tags", tags);
                rest.post("mlflow/runs/create", create);
            });
            other.start();
            RunResolver.ResolvedRun mine = resolver.resolve(exp, "trial-7", start, "trial 7");
            other.join();
            List<JsonObject> active = rest.runs(expId, filter);
            assertEquals(1, active.size(), "the younger duplicate is deleted");
            assertEquals(active.get(0).getAsJsonObject("info").get("run_id").getAsString(), mine.runId());
            assertEquals(start - 1000, active.get(0).getAsJsonObject("info").get("start_time").getAsLong());
            assertFalse(mine.created());
        }
    }

    @Test
    void aRefusedEventIsSetAsideAndTheRestShips() throws Exception {
        String exp = MlflowTestServer.uniqueExperiment("refused");
        Path outbox = MlflowTestServer.tempDir("outbox");
        try (Tracker t = Tracker.open(new TrackingConfig(uri, outbox, exp))) {
            t.startRun("trial", "trial", null, Map.of());
            t.logParams("trial", Map.of("lr", "0.1"));
            assertTrue(t.flush(Duration.ofMinutes(1)));
            // MLflow never changes a logged parameter: the server refuses this one.
            t.logParams("trial", Map.of("lr", "0.2"));
            t.logMetrics("trial", Map.of("loss", 0.25), 1);
            t.endRun("trial", RunStatus.FINISHED);
            assertTrue(t.flush(Duration.ofMinutes(1)));
            JsonObject run = rest.run(t.mlflowRunId("trial").orElseThrow());
            assertEquals("0.1", MlflowRest.params(run).get("lr"));
            assertEquals("FINISHED", status(run));
            assertEquals(1, rest.history(t.mlflowRunId("trial").orElseThrow(), "loss").size());
        }
        List<String> rejected = Files.readAllLines(outbox.resolve(Outbox.REJECTED));
        assertEquals(1, rejected.size());
        assertTrue(rejected.get(0).contains("0.2"), rejected.get(0));
    }

    @Test
    void eventsLoggedWithoutAServerShipOnSync() {
        String exp = MlflowTestServer.uniqueExperiment("offline");
        Path outbox = MlflowTestServer.tempDir("outbox");
        try (Tracker offline = Tracker.open(new TrackingConfig(null, outbox, exp))) {
            offline.startRun("trial", "trial", null, Map.of());
            offline.logMetrics("trial", Map.of("loss", 0.5), 0);
            offline.endRun("trial", RunStatus.FINISHED);
            assertFalse(offline.flush(Duration.ofMillis(10)));
            SyncReport r = offline.sync();
            assertEquals(3, r.pending());
            assertFalse(r.complete());
        }
        // Another process (here: rosarium sync) ships what the first one left.
        try (Tracker sync = Tracker.open(new TrackingConfig(uri, outbox, "any"))) {
            SyncReport r = sync.sync();
            assertEquals(3, r.shipped(), r::toString);
            assertTrue(r.complete(), r::toString);
        }
        JsonObject run = rest.runs(rest.experimentId(exp), null).get(0);
        assertEquals("FINISHED", status(run));
    }

    private static String status(JsonObject run) {
        return run.getAsJsonObject("info").get("status").getAsString();
    }
}
