package dev.rosarium.core.autograd;

import dev.rosarium.core.tensor.Tensor;

/**
 * A tensor in an autograd graph: its value, whether gradients flow to it, and the accumulated
 * gradient. Leaves (parameters, inputs) outlive a {@link Tape}; intermediates belong to the tape that
 * made them and are released with it.
 */
public final class Variable {
    private Tensor value;
    private Tensor grad;
    private final boolean requiresGrad;

    Variable(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    /** A trainable leaf: gradients accumulate into it across backward passes until {@link #zeroGrad()}. */
    public static Variable parameter(Tensor value) {
        return new Variable(value, true);
    }

    /** A leaf that receives no gradient (frozen weights, inputs, masks). */
    public static Variable constant(Tensor value) {
        return new Variable(value, false);
    }

    public Tensor value() {
        return value;
    }

    /** Replaces the value of a leaf (e.g. after a merge and resample); the old one is the caller's. */
    public void setValue(Tensor newValue) {
        if (value != null && !newValue.sameShape(value) && grad != null) {
            throw new IllegalStateException("changing the shape of a variable that holds a gradient");
        }
        this.value = newValue;
    }

    /**
     * Drops the value of a frozen leaf whose storage moved elsewhere (a base weight kept in NF4 by
     * its layer); the tensor itself is the caller's to close.
     */
    public void clearValue() {
        if (requiresGrad) {
            throw new IllegalStateException("a trainable variable must keep its value");
        }
        this.value = null;
    }

    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public int[] shape() {
        return value.shape();
    }

    /** Adds {@code g} to the gradient, taking ownership of {@code g}. */
    void accumulate(Tensor g) {
        if (grad == null) {
            grad = g;
        } else {
            value.backend().axpy(1f, g, grad);
            g.close();
        }
    }

    /** Hands the gradient over to the caller (who then owns it) and leaves none here. */
    Tensor takeGrad() {
        Tensor g = grad;
        grad = null;
        return g;
    }

    /** Replaces the gradient (e.g. after clipping) and releases the old one. */
    public void setGrad(Tensor g) {
        if (grad != null && grad != g) {
            grad.close();
        }
        grad = g;
    }

    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }
}
