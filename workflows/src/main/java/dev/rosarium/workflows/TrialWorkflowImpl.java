package dev.rosarium.workflows;

import dev.rosarium.activities.trial.EvalResult;
import dev.rosarium.activities.trial.MaskRef;
import dev.rosarium.activities.trial.MergedRef;
import dev.rosarium.activities.trial.PreparedRef;
import dev.rosarium.activities.trial.TrainProgress;
import dev.rosarium.activities.trial.TrialActivities;
import dev.rosarium.activities.trial.TrialConfig;
import dev.rosarium.activities.trial.TrialTracking;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Workflow;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

public final class TrialWorkflowImpl implements TrialWorkflow {
    private final Map<Integer, Boolean> decisions = new HashMap<>();
    private String stage = "starting";
    private int rung;
    private long step;
    private long total;
    private Map<String, Double> metrics = Map.of();

    /** Short steps: bounded run time, a few retries; a bad configuration is not retried. */
    static ActivityOptions stepOptions(TrialConfig t) {
        return ActivityOptions.newBuilder()
                .setTaskQueue(t.taskQueue())
                .setStartToCloseTimeout(Duration.ofHours(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3)
                        .setInitialInterval(Duration.ofSeconds(1))
                        .setDoNotRetry(IllegalArgumentException.class.getName()).build())
                .build();
    }

    /** Training: runs as long as it keeps heartbeating; a silent worker loses it to another after the heartbeat timeout. */
    static ActivityOptions trainOptions(TrialConfig t) {
        return ActivityOptions.newBuilder()
                .setTaskQueue(t.taskQueue())
                .setStartToCloseTimeout(Duration.ofDays(7))
                .setHeartbeatTimeout(Duration.ofSeconds(t.heartbeatSeconds()))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(10)
                        .setInitialInterval(Duration.ofSeconds(1)).setMaximumInterval(Duration.ofMinutes(1))
                        .setDoNotRetry(IllegalArgumentException.class.getName()).build())
                .build();
    }

    static ActivityOptions trackingOptions() {
        return ActivityOptions.newBuilder()
                .setTaskQueue(TaskQueues.TRACKING)
                .setStartToCloseTimeout(Duration.ofMinutes(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(5).build())
                .build();
    }

    @Override
    public TrialOutcome run(TrialConfig t, Map<String, String> settings) {
        TrialActivities steps = Workflow.newActivityStub(TrialActivities.class, stepOptions(t));
        TrialActivities training = Workflow.newActivityStub(TrialActivities.class, trainOptions(t));
        TrialTracking tracking = Workflow.newActivityStub(TrialTracking.class, trackingOptions());
        tracking.trialStarted(t, settings);
        try {
            stage = "prepare";
            PreparedRef data = steps.prepare(t);
            MaskRef masks = null;
            if (t.needsMasks()) {
                stage = "warm-up";
                masks = training.warmUp(t, data);
            }
            TrainProgress p = null;
            for (rung = 0; rung < t.rungs(); rung++) {
                stage = "train";
                p = training.train(t, data, masks, rung);
                step = p.step();
                total = p.totalSteps();
                metrics = p.metrics();
                if (t.sweepId() != null && rung < t.rungs() - 1) {
                    int r = rung;
                    Workflow.newExternalWorkflowStub(SweepWorkflow.class, t.sweepId())
                            .report(new RungReport(t.index(), r, p.step(), p.metrics()));
                    stage = "waiting for the sweep";
                    Workflow.await(() -> decisions.containsKey(r));
                    if (!decisions.get(r)) {
                        stage = "pruned";
                        tracking.trialEnded(t, "pruned");
                        return new TrialOutcome(t.index(), t.trialId(), t.params(), TrialStatus.PRUNED, p.metrics(), step,
                                null, null);
                    }
                }
            }
            stage = "merge";
            MergedRef merged = steps.merge(t, data, masks, p);
            stage = "evaluate";
            // scoring by generation can take hours on a CPU: it heartbeats like training does
            EvalResult eval = (t.fineTune().generative() ? training : steps).evaluate(t, data, merged);
            metrics = eval.metrics();
            stage = "finished";
            tracking.trialEnded(t, "finished");
            return new TrialOutcome(t.index(), t.trialId(), t.params(), TrialStatus.FINISHED, eval.metrics(), step,
                    merged.modelDirectory(), merged.adapterDirectory());
        } catch (CanceledFailure e) {
            stage = "cancelled";
            Workflow.newDetachedCancellationScope(() -> tracking.trialEnded(t, "cancelled")).run();
            throw e;
        } catch (ActivityFailure e) {
            boolean cancelled = e.getCause() instanceof CanceledFailure;
            stage = cancelled ? "cancelled" : "failed";
            Workflow.newDetachedCancellationScope(() -> tracking.trialEnded(t, cancelled ? "cancelled" : "failed")).run();
            throw e;
        }
    }

    @Override
    public void decide(int rung, boolean keepGoing) {
        decisions.put(rung, keepGoing);
    }

    @Override
    public TrialView view() {
        return new TrialView(stage, rung, step, total, metrics);
    }
}
