package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepContext;

import java.util.List;

/**
 * {@code y = base(x) + s * (drop(x) A^T) B^T} with {@code A (r, in)}, {@code B (out, r)}; merging adds
 * {@code s * B A} to the base weight.
 */
public final class LoraAdapter implements LinearAdapter {
    private final String module;
    private final Linear base;
    private final Variable a;
    private final Variable b;
    private final float scaling;
    private final float dropout;
    private final int site;
    private boolean merged;

    LoraAdapter(String module, Linear base, Variable a, Variable b, float scaling, float dropout, int site) {
        this.module = module;
        this.base = base;
        this.a = a;
        this.b = b;
        this.scaling = scaling;
        this.dropout = dropout;
        this.site = site;
    }

    /** A fresh adapter with peft's initialization, drawn from Philox at (seed, site). */
    public static LoraAdapter create(String module, Linear base, LoraConfig cfg, long seed, int site) {
        Backend be = base.backend();
        DType dt = base.dtype();
        Tensor a = be.zeros(dt, cfg.r(), base.inFeatures());
        if (cfg.gaussianInit()) {
            be.fillNormal(a, 0f, 1f / cfg.r(), seed, (long) site << 32);
        } else {
            float bound = (float) (1 / Math.sqrt(base.inFeatures())); // kaiming_uniform_(a=sqrt(5))
            be.fillUniform(a, -bound, bound, seed, (long) site << 32);
        }
        Tensor b = be.zeros(dt, base.outFeatures(), cfg.r());
        return new LoraAdapter(module, base, Variable.parameter(a), Variable.parameter(b), (float) cfg.scaling(),
                (float) cfg.dropout(), site);
    }

    public Variable a() {
        return a;
    }

    public Variable b() {
        return b;
    }

    public String module() {
        return module;
    }

    @Override
    public Variable forward(Tape t, Variable x, StepContext ctx) {
        if (merged) {
            return base.base(t, x);
        }
        Variable in = ctx == null || dropout == 0f ? x : t.dropout(x, dropout, ctx.randomSeed(1000 + site), 0);
        return base.baseWithLowRank(t, x, in, a, b, scaling);
    }

    @Override
    public List<NamedParameter> parameters() {
        return List.of(new NamedParameter(module + ".lora_A.weight", a), new NamedParameter(module + ".lora_B.weight", b));
    }

    @Override
    public void merge() {
        if (!merged) {
            addDelta(scaling);
            merged = true;
        }
    }

    @Override
    public void unmerge() {
        if (merged) {
            addDelta(-scaling);
            merged = false;
        }
    }

    private void addDelta(float s) {
        base.updateWeight(w -> base.backend().gemm(b.value(), false, a.value(), false, w, s, 1f));
    }
}
