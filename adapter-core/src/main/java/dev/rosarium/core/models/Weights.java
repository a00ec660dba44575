package dev.rosarium.core.models;

import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Builds a model's variables from stored weights, deciding per name whether a weight is trainable
 * (a parameter) or frozen (a constant, which never gets a gradient), and records every one by name.
 */
public final class Weights {
    /** Where the values come from: stored weights, or fresh initialization. */
    @FunctionalInterface
    public interface Source {
        Tensor load(String name, Backend backend, DType dtype) throws IOException;
    }

    private final Source source;
    private final Backend backend;
    private final DType dtype;
    private final Predicate<String> trainable;
    private final List<NamedParameter> all = new ArrayList<>();

    public Weights(Source source, Backend backend, DType dtype, Predicate<String> trainable) {
        this.source = source;
        this.backend = backend;
        this.dtype = dtype;
        this.trainable = trainable;
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    public Variable get(String name) throws IOException {
        return register(name, source.load(name, backend, dtype));
    }

    /** Registers a tensor made elsewhere (e.g. a freshly initialized head) under {@code name}. */
    public Variable register(String name, Tensor value) {
        Variable v = trainable.test(name) ? Variable.parameter(value) : Variable.constant(value);
        all.add(new NamedParameter(name, v));
        return v;
    }

    /** Every weight, trainable or not, in creation order. */
    public List<NamedParameter> all() {
        return Collections.unmodifiableList(all);
    }

    public List<NamedParameter> trainable() {
        return all.stream().filter(p -> p.variable().requiresGrad()).toList();
    }
}
