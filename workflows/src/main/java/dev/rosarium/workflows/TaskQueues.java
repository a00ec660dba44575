package dev.rosarium.workflows;

/**
 * Workflow tasks go to one queue every worker polls; activities go to the queue of the resources
 * they need ({@code cpu}, {@code gpu}), which a worker polls when it has them.
 */
public final class TaskQueues {
    public static final String WORKFLOWS = "rosarium";

    private TaskQueues() {
    }
}
