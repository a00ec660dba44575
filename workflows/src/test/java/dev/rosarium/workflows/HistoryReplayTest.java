package dev.rosarium.workflows;

import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Replays histories recorded from real runs (see {@link SweepWorkflowTest}) against today's workflow
 * code: a change that would break running sweeps and trials fails here with a non-determinism error.
 */
class HistoryReplayTest {
    @ParameterizedTest
    @ValueSource(strings = {"grid", "grid-trial-1"})
    void recordedHistoryReplays(String id) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/histories/" + id + ".json")) {
            assertNotNull(in, "history " + id + " is a test resource");
            WorkflowExecutionHistory h = WorkflowExecutionHistory.fromJson(new String(in.readAllBytes(),
                    StandardCharsets.UTF_8), id);
            WorkflowReplayer.replayWorkflowExecution(h, SweepWorkflowImpl.class, TrialWorkflowImpl.class);
        }
    }
}
