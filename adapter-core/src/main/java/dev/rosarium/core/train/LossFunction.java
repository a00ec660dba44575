package dev.rosarium.core.train;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;

/** The forward pass of a training step: a batch to a scalar loss recorded on the tape. */
@FunctionalInterface
public interface LossFunction<B> {
    Variable loss(Tape tape, B batch, StepContext context);
}
