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

import java.util.ArrayList;
import java.util.List;

/**
 * {@code y = x (W + S)^T + b + s * (drop(x) A^T) B^T}: LoRA plus a sparse {@code S} whose values train
 * on a fixed CSR support. The sparse values' gradient is the SDDMM {@code (dO^T X)} sampled on the
 * mask; the dense {@code dW} is never formed. While gradient statistics are being collected the
 * layer additionally folds {@code dO^T X} of each micro-batch into its {@link GradientStatistics}.
 */
public final class RosaAdapter implements LinearAdapter {
    private final String module;
    private final Linear base;
    private final Variable a;
    private final Variable b;
    private final Variable values;
    private final float scaling;
    private final float dropout;
    private final int site;
    private final RosaConfig.Impl impl;
    private SparseMask mask;
    private Tensor rowOffs;
    private Tensor colIdx;
    private GradientStatistics collecting;
    private boolean merged;
    /** Products holding {@code W + S} in the dense frozen weight, and the elements S overwrote there. */
    private int sparseReaders;
    private Tensor overwritten;

    private RosaAdapter(String module, Linear base, Variable a, Variable b, Variable values, RosaConfig cfg, int site) {
        this.module = module;
        this.base = base;
        this.a = a;
        this.b = b;
        this.values = values;
        this.scaling = (float) cfg.scaling();
        this.dropout = (float) cfg.dropout();
        this.site = site;
        this.impl = cfg.impl();
    }

    /** LoRA initialized as peft does (A Kaiming-uniform, B zero); no mask yet, so S is empty. */
    public static RosaAdapter create(String module, Linear base, RosaConfig cfg, long seed, int site) {
        Backend be = base.backend();
        DType dt = base.dtype();
        Variable a = null;
        Variable b = null;
        if (cfg.r() > 0) {
            Tensor at = be.zeros(dt, cfg.r(), base.inFeatures());
            float bound = (float) (1 / Math.sqrt(base.inFeatures()));
            be.fillUniform(at, -bound, bound, seed, (long) site << 32);
            a = Variable.parameter(at);
            b = Variable.parameter(be.zeros(dt, base.outFeatures(), cfg.r()));
        }
        Variable values = Variable.parameter(be.zeros(dt, 0));
        return new RosaAdapter(module, base, a, b, values, cfg, site);
    }

    public String module() {
        return module;
    }

    public Linear base() {
        return base;
    }

    public Variable a() {
        return a;
    }

    public Variable b() {
        return b;
    }

    public Variable values() {
        return values;
    }

    public SparseMask mask() {
        return mask;
    }

    /** Installs the sparse support with zero values (the model is unchanged until they train). */
    public void setMask(SparseMask m) {
        if (m.rows() != base.outFeatures() || m.cols() != base.inFeatures()) {
            throw new IllegalArgumentException(module + ": mask of " + m.rows() + "x" + m.cols() + " for a "
                    + base.outFeatures() + "x" + base.inFeatures() + " layer");
        }
        checkNoSparseReaders("change the mask");
        Backend be = base.backend();
        // the previous support's index buffers are this adapter's alone (a GPU backend frees what it
        // derived from them, such as an SDDMM plan, with them)
        if (rowOffs != null) {
            rowOffs.close();
            colIdx.close();
        }
        this.mask = m;
        this.rowOffs = m.rowOffsTensor(be);
        this.colIdx = m.colIdxTensor(be);
        values.zeroGrad();
        values.setValue(be.zeros(base.dtype(), m.nnz()));
    }

    /** Starts (non-null) or stops (null) folding this layer's weight gradients into {@code stats}. */
    public void collect(GradientStatistics stats) {
        this.collecting = stats;
    }

    private boolean hasSparse() {
        return mask != null && mask.nnz() > 0;
    }

    @Override
    public Variable forward(Tape t, Variable x, StepContext ctx) {
        if (merged) {
            return base.base(t, x);
        }
        Backend be = t.backend();
        // sp_add multiplies by W + S: S is added into the frozen weight in place while products read
        // it (a training tape holds it from the forward product to the backward one) and W restored
        // exactly after, so no dense copy is made or kept; spmm keeps W and adds x S^T separately
        boolean spAdd = hasSparse() && impl == RosaConfig.Impl.SP_ADD;
        Variable y;
        if (a != null) {
            Variable in = ctx == null || dropout == 0f ? x : t.dropout(x, dropout, ctx.randomSeed(1000 + site), 0);
            y = spAdd ? base.withLowRank(t, withSparse(be), x, in, a, b, scaling)
                    : base.baseWithLowRank(t, x, in, a, b, scaling);
        } else if (spAdd) {
            y = base.withWeight(t, withSparse(be), x);
        } else {
            y = base.base(t, x);
        }
        if (hasSparse() && impl == RosaConfig.Impl.SPMM) {
            int cols = base.inFeatures();
            Tensor x2 = x.value().reshape(-1, cols);
            Tensor sy = be.spmm(values.value(), rowOffs, colIdx, cols, x2, false);
            Variable sparse = t.custom(sy.moveTo(y.shape()), (dO, grads) -> {
                Tensor d2 = dO.reshape(-1, base.outFeatures());
                if (x.requiresGrad()) {
                    grads.push(x, be.spmm(values.value(), rowOffs, colIdx, cols, d2, true).moveTo(x.shape()));
                }
                grads.push(values, be.sddmm(rowOffs, colIdx, d2, x2));
            }, x, values);
            y = t.add(y, sparse);
        }
        return tapGradients(t, y, x);
    }

    /**
     * The frozen weight with S added while products read it. A dense base has S added in place and
     * restored bit-exactly when its last reader releases it, so a training step adds and restores
     * once a layer, the tape holding {@code W + S} from the forward product to the backward one;
     * over an NF4 base each product gets a dequantized copy with S added, dropped after.
     */
    private Tape.TransientWeight withSparse(Backend be) {
        Tape.TransientWeight frozen = base.frozenWeight();
        if (base.isQuantized()) {
            return new Tape.TransientWeight() {
                @Override
                public Tensor acquire() {
                    Tensor w = frozen.acquire();
                    try (Tensor overwritten = be.empty(w.dtype(), mask.nnz())) {
                        be.csrAddInPlace(values.value(), rowOffs, colIdx, w, overwritten);
                    }
                    return w;
                }

                @Override
                public void release(Tensor w) {
                    frozen.release(w);
                }
            };
        }
        return new Tape.TransientWeight() {
            @Override
            public Tensor acquire() {
                Tensor w = frozen.acquire();
                if (sparseReaders == 0) {
                    Tensor saved = be.empty(w.dtype(), mask.nnz());
                    try {
                        be.csrAddInPlace(values.value(), rowOffs, colIdx, w, saved);
                    } catch (RuntimeException e) {
                        saved.close();
                        throw e;
                    }
                    overwritten = saved;
                }
                sparseReaders++;
                return w;
            }

            @Override
            public void release(Tensor w) {
                if (--sparseReaders == 0) {
                    be.csrRestore(overwritten, rowOffs, colIdx, w);
                    overwritten.close();
                    overwritten = null;
                }
            }

            @Override
            public boolean holdIsFree() {
                return true;
            }
        };
    }

    /** Refuses to change W or S while a training graph holds {@code W + S} in the frozen weight. */
    private void checkNoSparseReaders(String what) {
        if (sparseReaders != 0) {
            throw new IllegalStateException(module + ": cannot " + what + " while a training graph holds W + S; "
                    + "close its tape first");
        }
    }

    /**
     * An identity on the layer's output whose backward sees {@code dO}: it computes the sparse
     * values' SDDMM gradient (sp_add) and feeds the gradient statistics while they are collected.
     */
    private Variable tapGradients(Tape t, Variable y, Variable x) {
        boolean sddmm = hasSparse() && impl == RosaConfig.Impl.SP_ADD;
        if (!sddmm && collecting == null) {
            return y;
        }
        GradientStatistics stats = collecting;
        Backend be = t.backend();
        int in = base.inFeatures();
        int out = base.outFeatures();
        // values is always an input, so the tap runs even where nothing upstream trains (SpA's
        // collection with r = 0: peft-rosa adds a "dummy" for the same reason)
        return t.tap(y, (dO, grads) -> {
            Tensor d2 = dO.reshape(-1, out);
            Tensor x2 = x.value().reshape(-1, in);
            if (stats != null) {
                stats.accumulate(d2, x2);
            }
            if (sddmm) {
                grads.push(values, be.sddmm(rowOffs, colIdx, d2, x2));
            }
        }, values);
    }

    @Override
    public List<NamedParameter> parameters() {
        List<NamedParameter> out = new ArrayList<>();
        if (a != null) {
            out.add(new NamedParameter(module + ".rosa_A.weight", a));
            out.add(new NamedParameter(module + ".rosa_B.weight", b));
        }
        out.add(new NamedParameter(module + ".rosa_spa.values", values));
        return out;
    }

    @Override
    public void merge() {
        if (!merged) {
            addDelta(1f);
            merged = true;
        }
    }

    @Override
    public void unmerge() {
        if (merged) {
            addDelta(-1f);
            merged = false;
        }
    }

    private void addDelta(float sign) {
        checkNoSparseReaders(sign > 0 ? "merge" : "unmerge");
        Backend be = base.backend();
        base.updateWeight(w -> {
            if (a != null) {
                be.gemm(b.value(), false, a.value(), false, w, sign * scaling, 1f);
            }
            if (hasSparse()) {
                try (Tensor v = be.scale(values.value(), sign);
                     Tensor sum = be.csrAddDense(v, rowOffs, colIdx, w)) {
                    be.copy(sum, w);
                }
            }
        });
    }
}
