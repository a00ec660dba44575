package dev.rosarium.infra;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rosarium.activities.trial.TrainProgress;
import dev.rosarium.core.train.CheckpointStore;
import dev.rosarium.infra.temporal.Temporal;
import dev.rosarium.infra.temporal.TrainingProbe;
import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.TrialStatus;
import io.temporal.client.WorkflowClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (b): a worker process killed with SIGKILL in the middle of training; a new worker
 * process finishes the trial from the last checkpoint, and the result equals an uninterrupted run's.
 */
class ResumeIntegrationTest {
    static final int EVERY = 3;
    static final String SPEC = """
            name: it-resume
            experiment: it-resume
            model: all-minilm-l6-v2
            task: sst2
            data: {train_rows: 96, eval_rows: 16, max_length: 32}
            method: {name: lora, r: 4}
            training: {batch_size: 4, epochs: 1, lr: 5.0e-4, checkpoint_every: %d}
            resources: {task_queue: cpu, heartbeat_seconds: 10}
            """.formatted(EVERY);

    @TempDir
    Path tmp;

    Process worker(Services s, Path work, Path log) throws Exception {
        return worker(s.temporal, s.mlflow, tmp.resolve("outbox"), work, log);
    }

    /** A worker in a JVM of its own, so that it can be killed like a crashed machine. */
    static Process worker(String temporal, String mlflow, Path outbox, Path work, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "worker", "--temporal", temporal, "--mlflow", mlflow, "--outbox", outbox.toString(),
                "--work", work.toString(), "--data", Services.dataRoot().toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)   // fail, never hang CI
    void killedWorkerProcessResumesFromItsLastCheckpointAndMatchesAnUninterruptedRun() throws Exception {
        Path spec = tmp.resolve("trial.yaml");
        Files.writeString(spec, SPEC);
        Path work = tmp.resolve("work");
        try (Services s = Services.start(tmp)) {
            WorkflowClient client = Temporal.connect(s.temporal, "default");
            String id = "it-resume-" + System.nanoTime();
            assertEquals(0, Main.commandLine().execute("run", spec.toString(), "--id", id, "--detach",
                    "--temporal", s.temporal, "--mlflow", s.mlflow, "--outbox", tmp.resolve("outbox").toString(), "--work", work.toString()));
            Process first = worker(s, work, tmp.resolve("worker-1.log"));
            long newestAtKill = -1;
            try {
                long deadline = System.nanoTime() + 600_000_000_000L;
                boolean heartbeatSeen = false;
                while (System.nanoTime() < deadline && newestAtKill < 0) {
                    // the server holds the training's first heartbeat; once a checkpoint past the first is on
                    // disk, kill in the middle of the next interval
                    heartbeatSeen |= TrainingProbe.lastHeartbeat(client, id).isPresent();
                    if (heartbeatSeen && newestCheckpoint(work) >= 2 * EVERY) {
                        first.destroyForcibly().waitFor();   // SIGKILL: no shutdown hooks, no clean-up
                        newestAtKill = newestCheckpoint(work);
                    } else if (client.newUntypedWorkflowStub(id).describe().getStatus()
                            != io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
                        throw new AssertionError("the trial ended before the worker could be killed mid-training");
                    } else {
                        Thread.sleep(20);
                    }
                }
            } finally {
                first.destroyForcibly().waitFor();
            }
            assertTrue(newestAtKill >= EVERY, "training was checkpointing when the worker was killed");
            finishesLikeAnUninterruptedRun(client, id, newestAtKill, spec, s.temporal, s.mlflow, tmp.resolve("outbox"),
                    work, tmp);
        }
    }

    /**
     * Starts a second worker and waits for the trial: it finishes, resumes from the newest checkpoint
     * the killed worker wrote, and ends with the metrics and tensors of an uninterrupted run of the spec.
     */
    static void finishesLikeAnUninterruptedRun(WorkflowClient client, String id, long newestAtKill, Path spec,
                                               String temporal, String mlflow, Path outbox, Path work, Path tmp)
            throws Exception {
        Process second = worker(temporal, mlflow, outbox, work, tmp.resolve("worker-2.log"));
        TrialOutcome resumed;
        try {
            resumed = client.newUntypedWorkflowStub(id).getResult(TrialOutcome.class);
        } finally {
            second.destroy();
            second.waitFor();
        }
        assertEquals(TrialStatus.FINISHED, resumed.status());
        TrainProgress p = onlyRung(work);
        assertTrue(p.resumedFrom() < p.totalSteps(), "killed before the end of training");
        // the dead worker got fewer than EVERY steps past its newest checkpoint (else it would have
        // written another), so resuming from that checkpoint redoes fewer than EVERY steps
        assertEquals(newestAtKill, p.resumedFrom(), "resumed from the newest checkpoint the killed worker wrote");
        assertEquals(p.totalSteps() - newestAtKill, p.stepsRun());

        Path clean = tmp.resolve("clean");
        String cleanId = id + "-uninterrupted";
        assertEquals(0, Main.commandLine().execute("run", spec.toString(), "--id", cleanId,
                "--temporal", temporal, "--mlflow", mlflow, "--outbox", outbox.toString(), "--work", clean.toString()));
        TrialOutcome uninterrupted = client.newUntypedWorkflowStub(cleanId).getResult(TrialOutcome.class);
        assertEquals(uninterrupted.metrics(), resumed.metrics());
        assertEquals(stateHash(Path.of(onlyRung(clean).checkpoint())), stateHash(Path.of(p.checkpoint())),
                "the final trained tensors are bit-identical");
    }

    static long newestCheckpoint(Path work) throws Exception {
        Path trials = work.resolve("trials");
        if (!Files.isDirectory(trials)) {
            return -1;
        }
        // names only: a checkpoint being written is a temporary directory renamed into place, which a
        // recursive walk could find and then lose
        long newest = -1;
        try (Stream<Path> dirs = Files.list(trials)) {
            for (Path checkpoints : dirs.map(d -> d.resolve("checkpoints")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> steps = Files.list(checkpoints)) {
                    newest = Math.max(newest, steps.filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                            .mapToLong(CheckpointStore::stepOf).max().orElse(-1));
                }
            }
        }
        return newest;
    }

    static TrainProgress onlyRung(Path work) throws Exception {
        try (Stream<Path> files = Files.walk(work.resolve("trials"))) {
            Path f = files.filter(p -> p.getParent().getFileName().toString().equals("rungs")).findFirst().orElseThrow();
            return new Gson().fromJson(Files.readString(f), TrainProgress.class);
        }
    }

    static String stateHash(Path checkpoint) throws Exception {
        JsonObject m = JsonParser.parseString(Files.readString(checkpoint.resolve("checkpoint.json"))).getAsJsonObject();
        return m.get("state_sha256").getAsString();
    }
}
