package dev.rosarium.core.nn;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.train.StepContext;

/**
 * A linear layer with nn.Linear's layout: weight {@code (out, in)}, optional bias {@code (out)},
 * {@code y = x W^T + b}. An adapter may be attached; it then computes the layer's output (base
 * plus its update) until it is merged or removed.
 */
public final class Linear {
    private final String name;
    private final Variable weight;
    private final Variable bias;
    private LinearAdapter adapter;

    public Linear(String name, Variable weight, Variable bias) {
        if (weight.shape().length != 2 || (bias != null && bias.shape()[0] != weight.shape()[0])) {
            throw new IllegalArgumentException(name + ": weight " + java.util.Arrays.toString(weight.shape())
                    + " and bias do not form a linear layer");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    public String name() {
        return name;
    }

    public Variable weight() {
        return weight;
    }

    public Variable bias() {
        return bias;
    }

    public int inFeatures() {
        return weight.shape()[1];
    }

    public int outFeatures() {
        return weight.shape()[0];
    }

    public LinearAdapter adapter() {
        return adapter;
    }

    public void setAdapter(LinearAdapter adapter) {
        this.adapter = adapter;
    }

    /** The layer's output: the adapter's when one is attached, else the base product. */
    public Variable forward(Tape t, Variable x, StepContext ctx) {
        return adapter != null ? adapter.forward(t, x, ctx) : base(t, x);
    }

    /** The frozen base layer alone, {@code x W^T + b}. */
    public Variable base(Tape t, Variable x) {
        return withBias(t, t.matmul(x, weight, true));
    }

    /** {@code x W^T + b + s (in A^T) B^T}, the base layer with a low-rank update, as one fused node. */
    public Variable baseWithLowRank(Tape t, Variable x, Variable in, Variable a, Variable b, float s) {
        return withBias(t, t.lowRankLinear(x, weight, in, a, b, s));
    }

    /** Adds this layer's bias, if it has one, to a product with its weight. */
    public Variable withBias(Tape t, Variable y) {
        return bias == null ? y : t.add(y, bias);
    }
}
