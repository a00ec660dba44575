package dev.rosarium.workflows;

import dev.rosarium.activities.trial.TrialConfig;
import dev.rosarium.activities.trial.TrialTracking;
import dev.rosarium.core.recipes.FineTuneConfig;
import dev.rosarium.workflows.search.SearchStrategy;
import dev.rosarium.workflows.spec.ParameterRange;
import dev.rosarium.workflows.spec.SweepSpec;
import dev.rosarium.workflows.spec.TrialSettings;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowCancellationType;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.TreeMap;

public final class SweepWorkflowImpl implements SweepWorkflow {
    private record Running(TrialConfig config, CancellationScope scope) {
    }

    private final Queue<RungReport> inbox = new ArrayDeque<>();
    private final Queue<TrialOutcome> done = new ArrayDeque<>();
    private final Map<Integer, Running> running = new TreeMap<>();
    private final List<TrialOutcome> outcomes = new ArrayList<>();
    private Map<Integer, Map<Integer, Double>> rungValues = new TreeMap<>();
    private SweepSpec spec;
    private String sweepId;
    private int nextIndex;
    private boolean paused;
    private boolean cancelRequested;
    private boolean cancelled;

    @Override
    public SweepProgress run(SweepSpec spec, SweepState carried) {
        this.spec = spec;
        this.sweepId = Workflow.getInfo().getWorkflowId();
        TrialTracking tracking = Workflow.newActivityStub(TrialTracking.class,
                TrialWorkflowImpl.trackingOptions());
        if (carried == null) {
            tracking.sweepStarted(sweepId, spec.name(), spec.experiment(), sweepParams(spec));
        } else {
            nextIndex = carried.nextIndex();
            outcomes.addAll(carried.outcomes());
            carried.rungValues().forEach((k, v) -> rungValues.put(k, new TreeMap<>(v)));
            paused = paused || carried.paused();
        }
        SearchStrategy search = SearchStrategy.of(spec);
        int startedThisRun = 0;
        while (true) {
            while (canStart(startedThisRun)) {
                start(search, nextIndex++);
                startedThisRun++;
            }
            if (running.isEmpty() && inbox.isEmpty() && done.isEmpty()) {
                if (cancelled || cancelRequested || nextIndex >= spec.trials()) {
                    break;
                }
                if (startedThisRun >= spec.trialsPerRun()) {
                    Workflow.continueAsNew(spec, new SweepState(nextIndex, outcomes, rungValues, paused));
                }
            }
            int started = startedThisRun;
            Workflow.await(() -> !inbox.isEmpty() || !done.isEmpty() || (cancelRequested && !cancelled)
                    || canStart(started));
            while (!inbox.isEmpty()) {
                decide(inbox.poll());
            }
            while (!done.isEmpty()) {
                TrialOutcome o = done.poll();
                running.remove(o.index());
                outcomes.add(o);
            }
            if (cancelRequested && !cancelled) {
                cancelled = true;
                running.values().forEach(r -> r.scope().cancel());
            }
        }
        SweepProgress result = progress();
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("trials_finished", (double) result.count(TrialStatus.FINISHED));
        summary.put("trials_pruned", (double) result.count(TrialStatus.PRUNED));
        summary.put("trials_failed", (double) result.count(TrialStatus.FAILED));
        if (result.best() != null) {
            summary.put("best_" + spec.objective().metric(), result.best().metrics().get(spec.objective().metric()));
            summary.put("best_trial", (double) result.best().index());
        }
        tracking.sweepEnded(sweepId, spec.experiment(), cancelled ? "cancelled" : "finished", summary);
        return result;
    }

    private boolean canStart(int startedThisRun) {
        return !paused && !cancelRequested && running.size() < spec.parallelism() && nextIndex < spec.trials()
                && startedThisRun < spec.trialsPerRun();
    }

    private void start(SearchStrategy search, int index) {
        Map<String, String> params = search.suggest(index, outcomes);
        Map<String, String> settings = new LinkedHashMap<>(spec.base());
        settings.putAll(params);
        FineTuneConfig cfg = TrialSettings.toConfig(settings);
        String trialId = sweepId + "-trial-" + index;
        TrialConfig t = new TrialConfig(sweepId, index, trialId, spec.experiment(), cfg, params,
                spec.checkpointEvery(), spec.rungs(), spec.taskQueue(), spec.heartbeatSeconds());
        TrialWorkflow child = Workflow.newChildWorkflowStub(TrialWorkflow.class, ChildWorkflowOptions.newBuilder()
                .setWorkflowId(trialId)
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setCancellationType(ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL)
                .build());
        Map<String, String> all = TrialSettings.describe(cfg);
        CancellationScope scope = Workflow.newCancellationScope(() -> {
            Promise<TrialOutcome> p = Async.function(child::run, t, all);
            p.handle((outcome, failure) -> {
                done.add(failure == null ? outcome : new TrialOutcome(index, trialId, params,
                        cancelledBy(failure) ? TrialStatus.CANCELLED : TrialStatus.FAILED, Map.of(), 0, null, null));
                return null;
            });
        });
        scope.run();
        running.put(index, new Running(t, scope));
        Workflow.getWorkflowExecution(child).get();
    }

    private static boolean cancelledBy(Exception failure) {
        return failure instanceof CanceledFailure
                || (failure instanceof ChildWorkflowFailure c && c.getCause() instanceof CanceledFailure);
    }

    /** Records a rung report and tells the trial whether to go on. */
    private void decide(RungReport r) {
        Double value = r.metrics().get(spec.objective().metric());
        Map<Integer, Double> atRung = rungValues.computeIfAbsent(r.rung(), k -> new TreeMap<>());
        boolean keep = true;
        if (value != null) {
            List<Double> others = new ArrayList<>();
            atRung.forEach((trial, v) -> {
                if (trial != r.trial()) {
                    others.add(v);
                }
            });
            atRung.put(r.trial(), value);
            keep = spec.earlyStopping().keepGoing(value, others, spec.objective());
        }
        Running t = running.get(r.trial());
        if (t != null) {
            // a trial that ended meanwhile (cancelled, failed) no longer takes signals: nothing to tell it
            TrialWorkflow trial = Workflow.newExternalWorkflowStub(TrialWorkflow.class, t.config().trialId());
            Async.procedure(trial::decide, r.rung(), keep).exceptionally(e -> null);
        }
    }

    private static Map<String, String> sweepParams(SweepSpec spec) {
        Map<String, String> p = new LinkedHashMap<>();
        spec.base().forEach((k, v) -> p.put("base." + k, v));
        for (ParameterRange r : spec.space()) {
            p.put("space." + r.key(), r.kind() == ParameterRange.Kind.CHOICE ? String.join(",", r.choices())
                    : r.kind().name().toLowerCase(java.util.Locale.ROOT) + "[" + r.low() + "," + r.high() + "]");
        }
        p.put("strategy", spec.strategy());
        p.put("trials", Integer.toString(spec.trials()));
        p.put("parallelism", Integer.toString(spec.parallelism()));
        p.put("objective", spec.objective().metric() + (spec.objective().maximize() ? " (max)" : " (min)"));
        p.put("early_stopping", spec.earlyStopping().rule());
        return p;
    }

    @Override
    public void report(RungReport report) {
        inbox.add(report);
    }

    @Override
    public void cancel() {
        cancelRequested = true;
    }

    @Override
    public void pause() {
        paused = true;
    }

    @Override
    public void resume() {
        paused = false;
    }

    @Override
    public SweepProgress progress() {
        Optional<TrialOutcome> best = outcomes.stream()
                .filter(o -> o.status() == TrialStatus.FINISHED && o.metrics().containsKey(spec.objective().metric()))
                .max(Comparator.comparingDouble(o -> (spec.objective().maximize() ? 1 : -1)
                        * o.metrics().get(spec.objective().metric())));
        List<TrialOutcome> sorted = new ArrayList<>(outcomes);
        sorted.sort(Comparator.comparingInt(TrialOutcome::index));
        return new SweepProgress(sweepId, spec.name(), spec.objective().metric(), spec.trials(), nextIndex, sorted,
                running.values().stream().map(r -> r.config().trialId()).toList(), paused, cancelled || cancelRequested,
                best.orElse(null));
    }
}
