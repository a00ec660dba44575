package dev.rosarium.core.adapters;

import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.Optimizer;
import dev.rosarium.core.train.StepHook;

/**
 * ROSA's resampling as a step hook: after every {@code resampleEverySteps} optimizer steps, merge
 * and redraw every layer's subspace and discard the optimizer's moments; the learning-rate schedule
 * keeps its global step (the authors rebuild their scheduler and fast-forward it).
 */
public final class SubspaceSchedule implements StepHook {
    private final AdapterSet adapters;
    private final Optimizer optimizer;
    private final int every;
    private int resamples;

    public SubspaceSchedule(AdapterSet adapters, Optimizer optimizer, int every) {
        this.adapters = adapters;
        this.optimizer = optimizer;
        this.every = every;
    }

    public int resamples() {
        return resamples;
    }

    @Override
    public void afterStep(long step) {
        if (every > 0 && (step + 1) % every == 0) {
            for (LinearAdapter a : adapters.adapters().values()) {
                ((SubspaceAdapter) a).factorize();
            }
            optimizer.resetState();
            resamples++;
        }
    }
}
