package dev.rosarium.infra.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code rosarium worker}: a long-running worker process. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run a worker: the workflows, tracking, and the trial activities of one task queue, until stopped.")
public final class WorkerCommand implements Callable<Integer> {
    @Mixin
    StackOptions stack;

    @Option(names = "--queue", description = "Task queue of the trial activities: cpu, or gpu (trains with the CUDA "
            + "backend; fails at start without a usable GPU) (default: ${DEFAULT-VALUE}).")
    String queue = "cpu";

    @Option(names = "--slots", description = "Trial activities run at once (default: ${DEFAULT-VALUE}).")
    int slots = 1;

    @Override
    public Integer call() throws Exception {
        Stack st = Stack.open(stack, false, false);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                st.close();
            } catch (Exception e) {
                System.err.println("rosarium worker: " + e.getMessage());
            }
            stop.countDown();
        }));
        st.startWorker(queue, slots);
        System.out.println("rosarium worker: polling " + queue + " on " + stack.temporal + " (work dir "
                + stack.work.toAbsolutePath() + ")");
        stop.await();
        return 0;
    }
}
