package dev.rosarium.core.nn;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.train.StepContext;

import java.util.List;

/** A trainable update attached to one frozen {@link Linear}. */
public interface LinearAdapter {
    /** The adapted layer's full output for {@code x}. */
    Variable forward(Tape t, Variable x, StepContext ctx);

    /** The adapter's trainable tensors, named as the saved adapter file names them. */
    List<NamedParameter> parameters();

    /** Folds the update into the base weight (zero-latency inference); the adapter is then spent. */
    void merge();

    /** Undoes {@link #merge()}. */
    void unmerge();
}
