package dev.rosarium.infra.temporal;

import dev.rosarium.activities.trial.TrainHeartbeat;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DefaultDataConverter;

import java.util.Optional;

/** A trial's training progress as the server last heard it: the newest heartbeat of its running warm-up or training. */
public final class TrainingProbe {
    private TrainingProbe() {
    }

    public static Optional<TrainHeartbeat> lastHeartbeat(WorkflowClient client, String trialId) {
        var d = client.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder().setNamespace(client.getOptions().getNamespace())
                        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(trialId).build()).build());
        for (PendingActivityInfo a : d.getPendingActivitiesList()) {
            String type = a.getActivityType().getName();
            if ((type.equals("Train") || type.equals("WarmUp")) && a.hasHeartbeatDetails()) {
                return Optional.of(DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(0,
                        Optional.of(a.getHeartbeatDetails()), TrainHeartbeat.class, TrainHeartbeat.class));
            }
        }
        return Optional.empty();
    }
}
