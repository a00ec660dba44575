package dev.rosarium.core.nn;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.quant.Nf4Weight;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepContext;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A linear layer with nn.Linear's layout: weight {@code (out, in)}, optional bias {@code (out)},
 * {@code y = x W^T + b}. An adapter may be attached; it then computes the layer's output (base
 * plus its update) until it is merged or removed.
 *
 * <p>A frozen weight may be {@linkplain #quantize() stored in NF4} (QLoRA/QRoSA bases): the
 * weight variable then holds no tensor, and every use dequantizes a temporary dense copy.
 */
public final class Linear {
    private final String name;
    private final Variable weight;
    private final Variable bias;
    private final int[] shape;
    private Nf4Weight quantized;
    private LinearAdapter adapter;

    public Linear(String name, Variable weight, Variable bias) {
        if (weight.shape().length != 2 || (bias != null && bias.shape()[0] != weight.shape()[0])) {
            throw new IllegalArgumentException(name + ": weight " + Arrays.toString(weight.shape())
                    + " and bias do not form a linear layer");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.shape = weight.shape();
    }

    public String name() {
        return name;
    }

    /** The dense weight; a layer stored in NF4 has none (use {@link #frozenWeight}). */
    public Variable weight() {
        if (quantized != null) {
            throw new IllegalStateException(name + " stores its frozen weight in NF4 and has no dense weight");
        }
        return weight;
    }

    public Variable bias() {
        return bias;
    }

    public int inFeatures() {
        return shape[1];
    }

    public int outFeatures() {
        return shape[0];
    }

    public Backend backend() {
        return quantized != null ? quantized.backend() : weight.value().backend();
    }

    public DType dtype() {
        return quantized != null ? quantized.dtype() : weight.value().dtype();
    }

    public boolean isQuantized() {
        return quantized != null;
    }

    public LinearAdapter adapter() {
        return adapter;
    }

    public void setAdapter(LinearAdapter adapter) {
        this.adapter = adapter;
    }

    /** Moves the frozen weight into NF4 storage and frees the dense tensor. */
    public void quantize() {
        if (quantized != null) {
            return;
        }
        if (weight.requiresGrad()) {
            throw new IllegalStateException(name + ": a trainable weight cannot be stored in 4 bits");
        }
        quantized = Nf4Weight.quantize(weight.value());
        weight.value().close();
        weight.clearValue();
    }

    /** Restores a dense weight from the NF4 codes (e.g. to export a model in its usual dtype). */
    public void dequantize() {
        if (quantized != null) {
            weight.setValue(quantized.dequantize());
            quantized.close();
            quantized = null;
        }
    }

    /**
     * Applies an in-place update to the frozen weight (a merge or unmerge). A weight in NF4 is
     * dequantized, updated and quantized again, which rounds the update to the 4-bit grid: see
     * docs/methods.md on QRoSA's merge.
     */
    public void updateWeight(Consumer<Tensor> update) {
        if (quantized == null) {
            update.accept(weight.value());
            return;
        }
        try (Tensor w = quantized.dequantize()) {
            update.accept(w);
            Nf4Weight requantized = Nf4Weight.quantize(w);
            quantized.close();
            quantized = requantized;
        }
    }

    /** The layer's output: the adapter's when one is attached, else the base product. */
    public Variable forward(Tape t, Variable x, StepContext ctx) {
        return adapter != null ? adapter.forward(t, x, ctx) : base(t, x);
    }

    /** The frozen base layer alone, {@code x W^T + b}. */
    public Variable base(Tape t, Variable x) {
        return addBias(t, quantized == null ? t.matmul(x, weight, true) : t.matmul(x, frozenWeight()));
    }

    /** {@code x w^T + b} with the frozen weight in the form {@code w} gives it for each product (SpA's W + S). */
    public Variable withWeight(Tape t, Tape.TransientWeight w, Variable x) {
        return addBias(t, t.matmul(x, w));
    }

    /** {@code x W^T + b + s (in A^T) B^T}, the base layer with a low-rank update, as one fused node. */
    public Variable baseWithLowRank(Tape t, Variable x, Variable in, Variable a, Variable b, float s) {
        return addBias(t, quantized == null ? t.lowRankLinear(x, weight, in, a, b, s)
                : t.lowRankLinear(x, frozenWeight(), in, a, b, s));
    }

    /** {@link #baseWithLowRank} with the frozen weight in the form {@code w} gives it for each product (RoSA's W + S). */
    public Variable withLowRank(Tape t, Tape.TransientWeight w, Variable x, Variable in, Variable a, Variable b, float s) {
        return addBias(t, t.lowRankLinear(x, w, in, a, b, s));
    }

    /**
     * The frozen weight for the duration of one product: the dense tensor itself, or, for a layer
     * stored in NF4, a dequantized copy released after the product.
     */
    public Tape.TransientWeight frozenWeight() {
        return new Tape.TransientWeight() {
            @Override
            public Tensor acquire() {
                return quantized == null ? weight.value() : quantized.dequantize();
            }

            @Override
            public void release(Tensor w) {
                if (quantized != null) {
                    w.close();
                }
            }
        };
    }

    private Variable addBias(Tape t, Variable y) {
        return bias == null ? y : t.add(y, bias);
    }
}
