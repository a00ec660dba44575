package dev.rosarium.workflows;

/**
 * Workflow tasks go to one queue every worker polls; activities go to the queue of the resources
 * they need ({@code cpu}, {@code gpu}), which a worker polls when it has them; tracking calls to
 * their own queue, which every worker polls.
 */
public final class TaskQueues {
    public static final String WORKFLOWS = "rosarium";
    /** Tracking calls are short and never wait behind a training activity. */
    public static final String TRACKING = "rosarium-tracking";

    private TaskQueues() {
    }
}
