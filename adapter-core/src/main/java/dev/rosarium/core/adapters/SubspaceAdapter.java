package dev.rosarium.core.adapters;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.linalg.ThinSvd;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Philox;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepContext;

import java.util.List;

/**
 * ROSA's layer in nn.Linear's layout: {@code W = U S V^T}; for the sampled index window {@code I},
 * {@code B = U[:, I]} {@code (out, R)} and {@code A = diag(S_I) V^T[I, :]} {@code (R, in)} train (the
 * authors put all of S on the input side), the base weight holds {@code W - B A}, so
 * {@code y = x W_fixed^T + b + (x A^T) B^T} equals the original layer exactly at every resample.
 */
public final class SubspaceAdapter implements LinearAdapter {
    private final String module;
    private final Linear base;
    private final SubspaceConfig cfg;
    private final long seed;
    private final int site;
    private final Variable a;
    private final Variable b;
    private int draws;
    private boolean merged = true; // before the first factorization the base weight is the full W

    private SubspaceAdapter(String module, Linear base, SubspaceConfig cfg, long seed, int site) {
        this.module = module;
        this.base = base;
        this.cfg = cfg;
        this.seed = seed;
        this.site = site;
        Backend be = base.backend();
        DType dt = base.dtype();
        int k = Math.min(base.outFeatures(), base.inFeatures());
        if (cfg.rank() >= k) {
            throw new IllegalArgumentException(module + ": rank " + cfg.rank() + " is not below min(out, in) = " + k
                    + "; train the layer fully instead");
        }
        this.a = Variable.parameter(be.zeros(dt, cfg.rank(), base.inFeatures()));
        this.b = Variable.parameter(be.zeros(dt, base.outFeatures(), cfg.rank()));
    }

    public static SubspaceAdapter create(String module, Linear base, SubspaceConfig cfg, long seed, int site) {
        SubspaceAdapter s = new SubspaceAdapter(module, base, cfg, seed, site);
        s.factorize();
        return s;
    }

    /** Merges the current slice and samples a new one (the model's function is unchanged). */
    public void factorize() {
        merge();
        Backend be = base.backend();
        Tensor w = base.weight().value();
        ThinSvd.Result svd = ThinSvd.of(w);
        int k = svd.s().dim(0);
        int r = cfg.rank();
        int start;
        switch (cfg.sampling()) {
            case TOP:
                start = 0;
                break;
            case BOTTOM:
                start = k - r;
                break;
            default: {
                // torch.randint(0, k - r): the window ending exactly at k is never drawn, as in the authors' code
                int[] bits = new int[4];
                Philox.block(seed, ((long) site << 32) + draws, bits);
                start = (int) ((bits[0] & 0xFFFFFFFFL) % (k - r));
            }
        }
        draws++;
        float[] u = svd.u().toFloats();
        float[] s = svd.s().toFloats();
        float[] vt = svd.vt().toFloats();
        int out = base.outFeatures();
        int in = base.inFeatures();
        float[] bf = new float[out * r];
        float[] af = new float[r * in];
        for (int i = 0; i < out; i++) {
            for (int c = 0; c < r; c++) {
                bf[i * r + c] = u[i * k + start + c];
            }
        }
        for (int c = 0; c < r; c++) {
            for (int j = 0; j < in; j++) {
                af[c * in + j] = s[start + c] * vt[(start + c) * in + j];
            }
        }
        be.copy(be.fromFloats(af, a.value().dtype(), r, in), a.value());
        be.copy(be.fromFloats(bf, b.value().dtype(), out, r), b.value());
        svd.u().close();
        svd.s().close();
        svd.vt().close();
        be.gemm(b.value(), false, a.value(), false, w, -1f, 1f); // W_fixed = W - B A
        merged = false;
    }

    public Variable a() {
        return a;
    }

    public Variable b() {
        return b;
    }

    @Override
    public Variable forward(Tape t, Variable x, StepContext ctx) {
        Variable y = base.base(t, x);
        return merged ? y : t.add(y, t.matmul(t.matmul(x, a, true), b, true));
    }

    @Override
    public List<NamedParameter> parameters() {
        return List.of(new NamedParameter(module + ".rosa_subspace.a", a), new NamedParameter(module + ".rosa_subspace.b", b));
    }

    @Override
    public void merge() {
        if (!merged) {
            base.backend().gemm(b.value(), false, a.value(), false, base.weight().value(), 1f, 1f);
            merged = true;
        }
    }

    @Override
    public void unmerge() {
        if (merged && draws > 0) {
            base.backend().gemm(b.value(), false, a.value(), false, base.weight().value(), -1f, 1f);
            merged = false;
        }
    }
}
