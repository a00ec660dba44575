package dev.rosarium.infra.cli;

import dev.rosarium.workflows.SweepProgress;
import dev.rosarium.workflows.SweepWorkflow;
import dev.rosarium.workflows.TrialView;
import dev.rosarium.workflows.TrialWorkflow;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rosarium status}: a sweep's or a trial's progress. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a sweep's trials table or a trial's stage and step.")
public final class StatusCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Workflow id of a sweep or a trial.")
    String id;

    @Mixin
    StackOptions stack;

    @Override
    public Integer call() throws Exception {
        try (Stack st = Stack.open(stack, false, false)) {
            DescribeWorkflowExecutionResponse d = st.client().getWorkflowServiceStubs().blockingStub()
                    .describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
                            .setNamespace(stack.namespace)
                            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id).build()).build());
            String type = d.getWorkflowExecutionInfo().getType().getName();
            String state = d.getWorkflowExecutionInfo().getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "")
                    .toLowerCase(Locale.ROOT);
            System.out.println(id + ": " + type + ", " + state);
            if (type.equals("SweepWorkflow")) {
                SweepProgress p = st.client().newWorkflowStub(SweepWorkflow.class, id).progress();
                System.out.println(p.outcomes().size() + " of " + p.planned() + " trials recorded, running: "
                        + p.running() + (p.paused() ? ", paused" : "") + (p.cancelled() ? ", cancelled" : ""));
                SweepWatch.table(p, System.out);
            } else {
                TrialView v = st.client().newWorkflowStub(TrialWorkflow.class, id).view();
                System.out.println("stage " + v.stage() + ", step " + v.step() + "/" + v.totalSteps()
                        + (v.metrics().isEmpty() ? "" : ", " + SweepWatch.describe(v.metrics())));
            }
            return 0;
        }
    }
}
