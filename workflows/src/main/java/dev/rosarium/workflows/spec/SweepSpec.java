package dev.rosarium.workflows.spec;

import java.util.List;
import java.util.Map;

/**
 * A sweep as the spec file describes it (docs/spec.md): base trial settings by spec name, the search
 * space and strategy, how many trials and how many at once, the objective, early stopping, and
 * where trials run. A single trial is a sweep without a space.
 *
 * @param trialsPerRun trials a sweep workflow starts before it continues as new (keeps histories short)
 */
public record SweepSpec(String name, String experiment, Map<String, String> base, List<ParameterRange> space,
                        String strategy, int trials, int parallelism, long seed, Objective objective,
                        EarlyStopping earlyStopping, int rungs, int checkpointEvery, String taskQueue,
                        int heartbeatSeconds, int trialsPerRun) {
    public static final List<String> STRATEGIES = List.of("grid", "random", "tpe");

    public SweepSpec {
        base = Map.copyOf(base);
        space = List.copyOf(space);
        if (!STRATEGIES.contains(strategy)) {
            throw new SpecException("sweep.strategy", "expected one of " + STRATEGIES + ", got '" + strategy + "'");
        }
        for (ParameterRange p : space) {
            if (!TrialSettings.isKey(p.key())) {
                throw new SpecException("sweep.space." + p.key(), "unknown setting; known: " + TrialSettings.keys());
            }
            if (strategy.equals("grid") && p.kind() != ParameterRange.Kind.CHOICE) {
                throw new SpecException("sweep.space." + p.key(), "grid search needs a list of choices, got a "
                        + p.kind().name().toLowerCase(java.util.Locale.ROOT) + " range");
            }
        }
        if (trials < 1) {
            throw new SpecException("sweep.trials", "expected >= 1, got " + trials);
        }
        if (strategy.equals("grid") && trials > gridSize(space)) {
            throw new SpecException("sweep.trials", "the grid has " + gridSize(space) + " points, got " + trials
                    + " trials");
        }
        if (parallelism < 1) {
            throw new SpecException("sweep.parallelism", "expected >= 1, got " + parallelism);
        }
        if (rungs < 1) {
            throw new SpecException("evaluation.rungs", "expected >= 1, got " + rungs);
        }
        if (checkpointEvery < 1) {
            throw new SpecException("training.checkpoint_every", "expected >= 1, got " + checkpointEvery);
        }
        if (heartbeatSeconds < 1) {
            throw new SpecException("resources.heartbeat_seconds", "expected >= 1, got " + heartbeatSeconds);
        }
        if (trialsPerRun < 1) {
            throw new SpecException("sweep.trials_per_run", "expected >= 1, got " + trialsPerRun);
        }
        if (taskQueue == null || taskQueue.isBlank()) {
            throw new SpecException("resources.task_queue", "expected a queue name (cpu, gpu)");
        }
        TrialSettings.toConfig(base);
    }

    /** Size of the full grid over the space's choices. */
    public int gridSize() {
        return gridSize(space);
    }

    /** Size of the grid over the choices of {@code space} (other ranges count once). */
    public static int gridSize(List<ParameterRange> space) {
        int n = 1;
        for (ParameterRange p : space) {
            n = Math.multiplyExact(n, p.kind() == ParameterRange.Kind.CHOICE ? p.choices().size() : 1);
        }
        return n;
    }
}
