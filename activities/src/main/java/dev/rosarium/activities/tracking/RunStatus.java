package dev.rosarium.activities.tracking;

/** The state of a tracked run; a trial's outcome maps onto MLflow's run statuses one to one. */
public enum RunStatus {
    RUNNING,
    FINISHED,
    FAILED,
    /** A pruned or cancelled trial. */
    KILLED
}
