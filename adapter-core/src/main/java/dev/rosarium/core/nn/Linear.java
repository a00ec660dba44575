package dev.rosarium.core.nn;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;

/**
 * A linear layer with nn.Linear's layout: weight {@code (out, in)}, optional bias {@code (out)},
 * {@code y = x W^T + b}.
 */
public final class Linear {
    private final String name;
    private final Variable weight;
    private final Variable bias;

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

    public Variable forward(Tape t, Variable x) {
        Variable y = t.matmul(x, weight, true);
        return bias == null ? y : t.add(y, bias);
    }
}
