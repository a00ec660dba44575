package dev.rosarium.core.train;

import dev.rosarium.core.tensor.Tensor;

import java.util.Map;

/**
 * Everything a run needs to continue bit-for-bit: trainable tensors, optimizer tensors and step
 * count, the random seed, the data position and the configuration it was started with.
 */
public record Checkpoint(long step, long optimizerSteps, long seed, long dataPosition, String config,
                         Map<String, Tensor> params, Map<String, Tensor> optimizerState) {
    public Checkpoint {
        params = Map.copyOf(params);
        optimizerState = Map.copyOf(optimizerState);
    }
}
