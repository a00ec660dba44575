package dev.rosarium.workflows;

import dev.rosarium.activities.trial.Trackers;
import dev.rosarium.activities.trial.TrialActivitiesImpl;
import dev.rosarium.activities.trial.TrialTrackingImpl;
import dev.rosarium.activities.trial.TrialWorkspace;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.workflows.spec.EarlyStopping;
import dev.rosarium.workflows.spec.Objective;
import dev.rosarium.workflows.spec.ParameterRange;
import dev.rosarium.workflows.spec.SweepSpec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sweeps of real (tiny) trials against Temporal's in-memory test server. The grid test replays its
 * own histories and, with {@code -Drosarium.recordHistories=<dir>}, writes them there: that is how
 * the histories of {@link HistoryReplayTest} were recorded.
 */
class SweepWorkflowTest {
    /** MiniLM on 16 SST-2 rows: 4 steps of 4 rows, two rungs, checkpoints every 2 steps. */
    static final Map<String, String> TINY = Map.of("model", "all-minilm-l6-v2", "task", "sst2",
            "data.train_rows", "16", "data.eval_rows", "16", "data.max_length", "32", "training.batch_size", "4",
            "training.epochs", "1", "training.lr", "5e-4", "method.r", "4", "method.mask_warmup_steps", "1");

    @TempDir
    Path work;
    TestWorkflowEnvironment env;
    Trackers trackers;

    @BeforeEach
    void start() throws Exception {
        env = TestWorkflowEnvironment.newInstance();
        Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
        workflows.registerWorkflowImplementationTypes(SweepWorkflowImpl.class, TrialWorkflowImpl.class);
        Worker cpu = env.newWorker("cpu");
        // tracking stays in the outbox here; the command-line integration tests ship it to a real MLflow
        trackers = new Trackers(null, work.resolve("outbox"));
        cpu.registerActivitiesImplementations(new TrialActivitiesImpl(CpuBackend.get(),
                new TrialWorkspace(work, DataFiles.defaultRoot(), ModelCache.standard()), trackers));
        env.newWorker(TaskQueues.TRACKING).registerActivitiesImplementations(
                new TrialTrackingImpl(trackers, work.resolve("runs")));
        env.start();
    }

    @AfterEach
    void stop() {
        // a cancelled trial's activity may still be training and writing checkpoints into the
        // temporary directory: the workers must have ended before JUnit deletes it (its next
        // heartbeat after the shutdown ends the activity)
        env.shutdownNow();
        env.awaitTermination(60, TimeUnit.SECONDS);
        env.close();
        trackers.close();
    }

    static SweepSpec spec(String name, List<ParameterRange> space, String strategy, int trials, int parallelism,
                          EarlyStopping stopping, int trialsPerRun) {
        return new SweepSpec(name, "test", TINY, space, strategy, trials, parallelism, 7,
                new Objective("accuracy", true), stopping, 2, 2, "cpu", 60, trialsPerRun);
    }

    SweepProgress run(String id, SweepSpec spec) {
        SweepWorkflow sweep = env.getWorkflowClient().newWorkflowStub(SweepWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.WORKFLOWS).build());
        return sweep.run(spec, null);
    }

    @Test
    void gridOfLoraAndRosaFinishesEveryTrialWithItsArtifacts() throws Exception {
        SweepProgress p = run("grid", spec("grid", List.of(ParameterRange.choice("method.name", List.of("lora", "rosa"))),
                "grid", 2, 2, EarlyStopping.none(), 10));
        assertEquals(2, p.count(TrialStatus.FINISHED), p.toString());
        assertEquals("lora", p.outcomes().get(0).params().get("method.name"));
        assertEquals("rosa", p.outcomes().get(1).params().get("method.name"));
        for (TrialOutcome o : p.outcomes()) {
            double acc = o.metrics().get("accuracy");
            assertTrue(acc >= 0 && acc <= 1, o.toString());
            assertEquals(4, o.steps());
        }
        try (var masks = Files.list(work.resolve("masks"))) {
            assertEquals(1, masks.count(), "RoSA's warm-up wrote one mask file");
        }
        try (var trials = Files.list(work.resolve("trials"))) {
            for (Path t : trials.toList()) {
                assertTrue(Files.isRegularFile(t.resolve("model/model.safetensors")), t.toString());
                assertTrue(Files.isRegularFile(t.resolve("adapter/adapter_config.json")), t.toString());
                assertTrue(Files.isRegularFile(t.resolve("eval/predictions.jsonl")), t.toString());
            }
        }
        for (String id : List.of("grid", "grid-trial-1")) {
            WorkflowExecutionHistory h = env.getWorkflowClient().fetchHistory(id);
            WorkflowReplayer.replayWorkflowExecution(h, SweepWorkflowImpl.class, TrialWorkflowImpl.class);
            String into = System.getProperty("rosarium.recordHistories");
            if (into != null) {
                Files.writeString(Path.of(into).resolve(id + ".json"), h.toJson(true));
            }
        }
    }

    /**
     * RoSA on a generative task, SmolLM2-135M-Instruct on two GSM8k rows (the model is the task's
     * default): mask warm-up, two rungs scored by generation, merge, and the merged model scored by
     * generation with one prediction line per held-out row.
     */
    @Test
    void generativeTrialOnGsm8kFinishesWithGeneratedPredictions() throws Exception {
        Map<String, String> gsm = Map.of("task", "gsm8k", "data.train_rows", "2", "data.eval_rows", "2",
                "data.max_length", "192", "training.batch_size", "2", "training.epochs", "4", "training.lr", "2e-3",
                "method.r", "4", "method.mask_warmup_steps", "1");
        SweepProgress p = run("gsm", new SweepSpec("gsm", "test", gsm, List.of(ParameterRange.choice("method.name",
                List.of("rosa"))), "grid", 1, 1, 7, new Objective("accuracy", true), EarlyStopping.none(), 2, 2, "cpu",
                60, 10));
        assertEquals(1, p.count(TrialStatus.FINISHED), p.toString());
        assertEquals(4, p.outcomes().get(0).steps());
        try (var trials = Files.list(work.resolve("trials"))) {
            Path trial = trials.findFirst().orElseThrow();
            assertTrue(Files.isRegularFile(trial.resolve("model/tokenizer_config.json")), "the chat template travels");
            List<String> lines = Files.readAllLines(trial.resolve("eval/predictions.jsonl"));
            assertEquals(2, lines.size());
            assertTrue(lines.get(0).contains("\"reference\"") && lines.get(0).contains("\"generated\"")
                    && lines.get(0).contains("\"correct\""), lines.get(0));
        }
    }

    @Test
    void medianRuleStopsATrialBehindTheOthersAtItsRungAndSweepContinuesAsNew() {
        // sequential trials: trial 1 reports after trial 0 and continues only if it is not behind it
        SweepProgress p = run("median", spec("median", List.of(ParameterRange.choice("training.lr",
                List.of("5e-4", "1e-6", "2e-6"))), "grid", 3, 1, new EarlyStopping("median", 1, 2), 2));
        assertEquals(3, p.outcomes().size(), p.toString());
        TrialOutcome first = p.outcomes().get(0);
        assertEquals(TrialStatus.FINISHED, first.status(), "the first report has nobody to compare with");
        for (TrialOutcome o : p.outcomes().subList(1, 3)) {
            assertTrue(o.status() == TrialStatus.FINISHED || o.status() == TrialStatus.PRUNED, o.toString());
            if (o.status() == TrialStatus.PRUNED) {
                assertEquals(2, o.steps(), "pruned at the first rung");
            }
        }
        assertFalse(env.getWorkflowClient().fetchHistory("median").getEvents().get(0)
                .getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId().isEmpty(),
                "two trials per run: the third ran after continuing as new");
    }

    @Test
    void pauseHoldsBackNewTrialsAndCancelEndsTheRunningOne() throws Exception {
        SweepSpec spec = spec("steer", List.of(ParameterRange.choice("training.seed", List.of("1", "2", "3"))),
                "grid", 3, 1, EarlyStopping.none(), 10);
        WorkflowClient client = env.getWorkflowClient();
        SweepWorkflow sweep = client.newWorkflowStub(SweepWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId("steer").setTaskQueue(TaskQueues.WORKFLOWS).build());
        WorkflowClient.start(sweep::run, spec, null);
        SweepWorkflow handle = client.newWorkflowStub(SweepWorkflow.class, "steer");
        handle.pause();
        Thread.sleep(2000);
        assertEquals(0, handle.progress().started(), "paused before its first trial");
        handle.resume();
        awaitProgress(handle, q -> q.started() == 1);
        handle.pause();
        SweepProgress p = awaitProgress(handle, q -> q.outcomes().size() == 1);
        assertEquals(1, p.started(), "paused: no second trial after the first finished");
        Thread.sleep(2000);
        assertEquals(1, handle.progress().started());
        handle.resume();
        awaitProgress(handle, q -> q.started() == 2 && !q.running().isEmpty());
        handle.cancel();
        SweepProgress end = client.newUntypedWorkflowStub("steer").getResult(SweepProgress.class);
        assertTrue(end.cancelled());
        assertEquals(2, end.started(), "nothing starts after the cancel");
        assertEquals(TrialStatus.FINISHED, end.outcomes().get(0).status());
        assertEquals(TrialStatus.CANCELLED, end.outcomes().get(1).status(), end.toString());
    }

    static SweepProgress awaitProgress(SweepWorkflow sweep, java.util.function.Predicate<SweepProgress> until)
            throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            SweepProgress p = sweep.progress();
            if (until.test(p)) {
                return p;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("sweep never reached the awaited state: " + sweep.progress());
    }
}
