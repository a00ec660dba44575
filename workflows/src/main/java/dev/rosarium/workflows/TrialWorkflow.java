package dev.rosarium.workflows;

import dev.rosarium.activities.trial.TrialConfig;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

import java.util.Map;

/** One trial: prepare, warm-up (RoSA/SpA), train in rungs, merge, evaluate. */
@WorkflowInterface
public interface TrialWorkflow {
    /** Runs the trial; {@code settings} are all its settings by spec name (logged as parameters). */
    @WorkflowMethod
    TrialOutcome run(TrialConfig trial, Map<String, String> settings);

    /** The sweep's early-stopping decision for the report of {@code rung}. */
    @SignalMethod
    void decide(int rung, boolean keepGoing);

    @QueryMethod
    TrialView view();
}
