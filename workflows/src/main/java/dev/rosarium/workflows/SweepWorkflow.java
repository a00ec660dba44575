package dev.rosarium.workflows;

import dev.rosarium.workflows.spec.SweepSpec;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A sweep: starts one {@link TrialWorkflow} child per trial (id {@code <sweepId>-trial-<index>}), at
 * most {@code parallelism} at once, picks parameters with the spec's search strategy, applies early
 * stopping to the trials' rung reports and continues as new every {@code trialsPerRun} trials.
 */
@WorkflowInterface
public interface SweepWorkflow {
    /** {@code carried} is null on the first run, the state so far after continuing as new. */
    @WorkflowMethod
    SweepProgress run(SweepSpec spec, SweepState carried);

    @SignalMethod
    void report(RungReport report);

    /** Stops starting trials and cancels the running ones (their runs end KILLED). */
    @SignalMethod
    void cancel();

    /** Starts no new trials until {@link #resume()}; running ones go on. */
    @SignalMethod
    void pause();

    @SignalMethod
    void resume();

    @QueryMethod
    SweepProgress progress();
}
