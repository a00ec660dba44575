package dev.rosarium.core.optim;

import dev.rosarium.core.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** Updates parameter groups from their accumulated gradients. */
public interface Optimizer {

    List<ParamGroup> groups();

    /** Applies one update with every group's rate multiplied by {@code lrFactor}, then counts the step. */
    void step(double lrFactor);

    /** Number of steps taken. */
    long steps();

    /** Drops every gradient. */
    default void zeroGrad() {
        for (ParamGroup g : groups()) {
            for (NamedParameter p : g.params()) {
                p.variable().zeroGrad();
            }
        }
    }

    /**
     * The optimizer's tensors by stable name ("{param}.{slot}"), for checkpoints; created lazily,
     * so a slot may be absent before the first step.
     */
    Map<String, Tensor> state();

    /** Restores {@link #state()} and the step count; missing or misshapen tensors are errors. */
    void loadState(Map<String, Tensor> state, long steps);

    /** Forgets all per-parameter state (ROSA resets it at every resample) but keeps the step count. */
    void resetState();
}
