package dev.rosarium.infra.cli;

import dev.rosarium.activities.trial.TrainHeartbeat;
import dev.rosarium.activities.trial.TrialConfig;
import dev.rosarium.infra.temporal.TrainingProbe;
import dev.rosarium.infra.spec.SpecFile;
import dev.rosarium.workflows.TaskQueues;
import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.TrialView;
import dev.rosarium.workflows.TrialWorkflow;
import dev.rosarium.workflows.spec.SweepSpec;
import dev.rosarium.workflows.spec.TrialSettings;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code rosarium run}: one trial of a spec's base settings. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run one trial with the spec's base settings (its sweep section is not used).")
public final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The spec.")
    Path specFile;

    @Mixin
    StackOptions stack;

    @Option(names = "--id", description = "Workflow id of the trial (default: <name>-<date>-<time>).")
    String id;

    @Option(names = "--detach", description = "Start the trial on --temporal and return; workers run it.")
    boolean detach;

    @Option(names = "--no-worker", description = "Do not run a worker in this process.")
    boolean noWorker;

    @Override
    public Integer call() throws Exception {
        SweepSpec spec = SpecFile.load(specFile);
        String trialId = id != null ? id : SweepCommand.defaultId(spec.name());
        TrialConfig t = new TrialConfig(null, 0, trialId, spec.experiment(), TrialSettings.toConfig(spec.base()), Map.of(),
                spec.checkpointEvery(), spec.rungs(), spec.taskQueue(), spec.heartbeatSeconds());
        try (Stack st = Stack.open(stack, !detach, false)) {
            TrialWorkflow trial = st.client().newWorkflowStub(TrialWorkflow.class, WorkflowOptions.newBuilder()
                    .setWorkflowId(trialId).setTaskQueue(TaskQueues.WORKFLOWS).build());
            WorkflowClient.start(trial::run, t, TrialSettings.describe(t.fineTune()));
            System.out.println("trial " + trialId + " started");
            if (detach) {
                return 0;
            }
            if (!noWorker) {
                st.startWorker(spec.taskQueue(), 1);
            }
            TrialOutcome o = follow(st.client(), trialId);
            System.out.println("trial " + trialId + ": " + o.status().name().toLowerCase(java.util.Locale.ROOT) + ", "
                    + o.steps() + " steps, " + SweepWatch.describe(o.metrics()));
            System.out.println("merged model: " + o.modelDirectory());
            if (o.adapterDirectory() != null) {
                System.out.println("adapter: " + o.adapterDirectory());
            }
            if (st.trackingUri() != null) {
                System.out.println("MLflow: " + st.trackingUri() + " (experiment " + spec.experiment() + ")");
            }
            return 0;
        }
    }

    static TrialOutcome follow(WorkflowClient client, String trialId) throws Exception {
        CompletableFuture<TrialOutcome> result = client.newUntypedWorkflowStub(trialId)
                .getResultAsync(TrialOutcome.class);
        TrialWorkflow trial = client.newWorkflowStub(TrialWorkflow.class, trialId);
        ProgressBar bar = null;
        while (true) {
            try {
                return result.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                TrialView v = trial.view();
                Optional<TrainHeartbeat> beat = TrainingProbe.lastHeartbeat(client, trialId);
                if (beat.isPresent()) {
                    if (bar == null) {
                        bar = new ProgressBar(System.err, "train", beat.get().totalSteps());
                    }
                    bar.update(beat.get().step(), v.stage());
                }
            }
        }
    }
}
