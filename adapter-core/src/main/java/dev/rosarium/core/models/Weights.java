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
import java.util.Map;
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

    /**
     * Fresh weights for training from scratch: norm weights ("...norm.weight", "LayerNorm.weight") are
     * ones, biases and norm biases zeros, everything else N(0, std^2) from Philox, each tensor with its
     * own key derived from {@code seed} and its name (so no two tensors share numbers).
     */
    public static Source randomInit(Map<String, int[]> shapes, long seed, float std) {
        return (name, backend, dtype) -> {
            int[] shape = shapes.get(name);
            if (shape == null) {
                throw new IOException("no shape known for weight " + name);
            }
            Tensor t = backend.zeros(dtype, shape);
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.endsWith("norm.weight")) {
                backend.fill(t, 1f);
            } else if (!lower.endsWith("bias")) {
                backend.fillNormal(t, 0f, std, dev.rosarium.core.tensor.Philox.deriveKey(seed, name.hashCode()), 0);
            }
            return t;
        };
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

    /** Loads {@code name}, which must have {@code shape}; a mismatch names the weight and both shapes. */
    public Variable get(String name, int... shape) throws IOException {
        Tensor t = source.load(name, backend, dtype);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IOException("weight " + name + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", the configuration implies " + java.util.Arrays.toString(shape));
        }
        return register(name, t);
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
