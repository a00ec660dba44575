package dev.rosarium.core.optim;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, numerically as PyTorch's {@code torch.optim.AdamW}
 * (bias-corrected step size, {@code eps} added after the bias-corrected root). Moments are fp32
 * whatever the parameter dtype. As in PyTorch, each parameter counts its own steps for bias
 * correction, so a parameter that joins late (RoSA's sparse values after the mask warm-up) or whose
 * state was reset (ROSA's resampling) starts its correction afresh.
 */
public final class AdamW implements Optimizer {
    private final List<ParamGroup> groups;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final Map<String, Tensor[]> moments = new LinkedHashMap<>();
    private final Map<String, long[]> paramSteps = new LinkedHashMap<>();
    private long steps;

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        this.groups = List.copyOf(groups);
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0)) {
            throw new IllegalArgumentException("AdamW needs 0 <= betas < 1 and eps > 0, got " + beta1 + ", " + beta2
                    + ", " + eps);
        }
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. */
    public static AdamW withDefaults(List<ParamGroup> groups) {
        return new AdamW(groups, 0.9, 0.999, 1e-8);
    }

    @Override
    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void step(double lrFactor) {
        steps++;
        for (ParamGroup g : groups) {
            for (NamedParameter p : g.params()) {
                Tensor grad = p.variable().grad();
                if (grad == null) {
                    continue; // PyTorch skips parameters without a gradient, moments untouched
                }
                Tensor value = p.variable().value();
                Tensor[] mv = moments.computeIfAbsent(p.name(), k -> new Tensor[] {
                        value.backend().zeros(DType.F32, value.shape()), value.backend().zeros(DType.F32, value.shape())});
                long[] n = paramSteps.computeIfAbsent(p.name(), k -> new long[1]);
                n[0]++;
                value.backend().adamwStep(value, grad, mv[0], mv[1], new Backend.AdamWHyper((float) (g.lr() * lrFactor),
                        beta1, beta2, eps, (float) g.weightDecay(), n[0]));
            }
        }
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        moments.forEach((name, mv) -> {
            out.put(name + ".exp_avg", mv[0]);
            out.put(name + ".exp_avg_sq", mv[1]);
            out.put(name + ".step", mv[0].backend().fromInts(new int[] {Math.toIntExact(paramSteps.get(name)[0])},
                    DType.I32, 1));
        });
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state, long steps) {
        resetState();
        for (ParamGroup g : groups) {
            for (NamedParameter p : g.params()) {
                Tensor m = state.get(p.name() + ".exp_avg");
                Tensor v = state.get(p.name() + ".exp_avg_sq");
                Tensor n = state.get(p.name() + ".step");
                if (m == null && v == null) {
                    continue;
                }
                if (m == null || v == null || n == null || !m.sameShape(p.variable().value())
                        || !v.sameShape(p.variable().value())) {
                    throw new IllegalArgumentException("optimizer state of " + p.name() + " is missing a moment or has shape "
                            + (m == null ? "?" : Shapes.str(m.shape())) + " instead of "
                            + Shapes.str(p.variable().shape()));
                }
                moments.put(p.name(), new Tensor[] {m, v});
                paramSteps.put(p.name(), new long[] {n.toInts()[0]});
            }
        }
        this.steps = steps;
    }

    @Override
    public void resetState() {
        for (Tensor[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
        paramSteps.clear();
    }
}
