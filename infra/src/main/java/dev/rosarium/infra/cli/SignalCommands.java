package dev.rosarium.infra.cli;

import dev.rosarium.workflows.SweepProgress;
import dev.rosarium.workflows.SweepWorkflow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** The commands that steer a running sweep. */
public final class SignalCommands {
    private SignalCommands() {
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a sweep (running trials are cancelled, their runs end KILLED) or a single trial.")
    public static final class Cancel implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "Workflow id of a sweep or a trial.")
        String id;

        @Mixin
        StackOptions stack;

        @Override
        public Integer call() throws Exception {
            try (Stack st = Stack.open(stack, false, false)) {
                SweepWorkflow sweep = st.sweep(id);
                if (sweep != null) {
                    sweep.cancel();
                } else {
                    st.client().newUntypedWorkflowStub(id).cancel();
                }
                System.out.println("cancel requested for " + id);
                return 0;
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause a sweep: no new trials start until `rosarium resume`; running ones go on.")
    public static final class Pause implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SWEEP_ID", description = "Workflow id of the sweep.")
        String id;

        @Mixin
        StackOptions stack;

        @Override
        public Integer call() throws Exception {
            try (Stack st = Stack.open(stack, false, false)) {
                st.client().newWorkflowStub(SweepWorkflow.class, id).pause();
                System.out.println("paused " + id);
                return 0;
            }
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Resume a paused or orphaned sweep: lifts a pause, runs a worker here (unless --detach) "
                    + "and follows the sweep to its end.")
    public static final class Resume implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "SWEEP_ID", description = "Workflow id of the sweep.")
        String id;

        @Mixin
        StackOptions stack;

        @Option(names = "--detach", description = "Only lift the pause; other workers run the sweep.")
        boolean detach;

        @Option(names = "--queue", description = "Task queue of this worker's trial activities (default: ${DEFAULT-VALUE}).")
        String queue = "cpu";

        @Override
        public Integer call() throws Exception {
            try (Stack st = Stack.open(stack, false, false)) {
                st.client().newWorkflowStub(SweepWorkflow.class, id).resume();
                System.out.println("resumed " + id);
                if (detach) {
                    return 0;
                }
                st.startWorker(queue, 1);
                SweepProgress p = SweepWatch.follow(st.client(), id, System.err);
                SweepWatch.table(p, System.out);
                return SweepWatch.exitCode(p);
            }
        }
    }
}
