package dev.rosarium.infra.temporal;

import dev.rosarium.activities.trial.Trackers;
import dev.rosarium.activities.trial.TrialActivitiesImpl;
import dev.rosarium.activities.trial.TrialTrackingImpl;
import dev.rosarium.activities.trial.TrialWorkspace;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.kernels.CudaBackend;
import dev.rosarium.workflows.SweepWorkflowImpl;
import dev.rosarium.workflows.TaskQueues;
import dev.rosarium.workflows.TrialWorkflowImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;

/**
 * A worker: the workflows, the tracking activities, and the trial activities of one resource queue
 * with {@code slots} of them at once (training saturates the machine, so one by default).
 */
public final class RosariumWorker implements AutoCloseable {
    private final WorkerFactory factory;

    private RosariumWorker(WorkerFactory factory) {
        this.factory = factory;
    }

    /**
     * The trial activities compute on the GPU for the {@code gpu} queue, one at a time (the CUDA
     * backend queues all work of the process on its streams from one thread), on the CPU otherwise.
     */
    public static RosariumWorker start(WorkflowClient client, String queue, int slots, TrialWorkspace workspace,
                                       Trackers trackers) {
        if (queue.equals("gpu") && slots != 1) {
            throw new IllegalArgumentException("--slots: a gpu worker runs one trial at a time (the CUDA backend is "
                    + "single-threaded), got " + slots + "; start one worker per GPU host instead");
        }
        Backend backend = queue.equals("gpu") ? CudaBackend.get() : CpuBackend.get();
        WorkerFactory factory = WorkerFactory.newInstance(client);
        factory.newWorker(TaskQueues.WORKFLOWS)
                .registerWorkflowImplementationTypes(SweepWorkflowImpl.class, TrialWorkflowImpl.class);
        factory.newWorker(TaskQueues.TRACKING)
                .registerActivitiesImplementations(new TrialTrackingImpl(trackers, workspace.root().resolve("runs")));
        Worker trials = factory.newWorker(queue, WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(slots).build());
        trials.registerActivitiesImplementations(new TrialActivitiesImpl(backend, workspace, trackers));
        factory.start();
        return new RosariumWorker(factory);
    }

    @Override
    public void close() {
        factory.shutdownNow();
    }
}
