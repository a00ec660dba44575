package dev.rosarium.infra.cli;

import dev.rosarium.infra.spec.SpecFile;
import dev.rosarium.workflows.SweepProgress;
import dev.rosarium.workflows.SweepWorkflow;
import dev.rosarium.workflows.TaskQueues;
import dev.rosarium.workflows.spec.SweepSpec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/** {@code rosarium sweep}: starts a sweep workflow and follows it. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run a sweep of trials described by a spec file (docs/spec.md) and print its results table.")
public final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The sweep spec.")
    Path specFile;

    @Mixin
    StackOptions stack;

    @Option(names = "--id", description = "Workflow id of the sweep (default: <name>-<date>-<time>).")
    String id;

    @Option(names = "--detach", description = "Start the sweep on --temporal and return; workers run it.")
    boolean detach;

    @Option(names = "--no-worker", description = "Do not run a worker in this process (other workers run the trials).")
    boolean noWorker;

    @Option(names = "--slots", description = "Trial activities this process's worker runs at once (default: ${DEFAULT-VALUE}).")
    int slots = 1;

    @Override
    public Integer call() throws Exception {
        SweepSpec spec = SpecFile.load(specFile);
        try (Stack st = Stack.open(stack, !detach, false)) {
            return launch(st, spec, id != null ? id : defaultId(spec.name()), detach, !noWorker, slots);
        }
    }

    static String defaultId(String name) {
        return name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    /** Starts the sweep, then (unless detached) a local worker if asked, follows it and prints the table. */
    static int launch(Stack st, SweepSpec spec, String sweepId, boolean detach, boolean worker, int slots)
            throws Exception {
        SweepWorkflow sweep = st.client().newWorkflowStub(SweepWorkflow.class, WorkflowOptions.newBuilder()
                .setWorkflowId(sweepId).setTaskQueue(TaskQueues.WORKFLOWS).build());
        WorkflowClient.start(sweep::run, spec, null);
        System.out.println("sweep " + sweepId + " started");
        if (detach) {
            return 0;
        }
        if (worker) {
            st.startWorker(spec.taskQueue(), slots);
        }
        SweepProgress p = SweepWatch.follow(st.client(), sweepId, System.err);
        SweepWatch.table(p, System.out);
        if (st.trackingUri() != null) {
            System.out.println("MLflow: " + st.trackingUri() + " (experiment " + spec.experiment() + ")");
        }
        return SweepWatch.exitCode(p);
    }
}
