package dev.rosarium.kernels;

import dev.rosarium.core.adapters.AdapterSet;
import dev.rosarium.core.adapters.GradientStatistics;
import dev.rosarium.core.adapters.LoraConfig;
import dev.rosarium.core.adapters.RosaAdapter;
import dev.rosarium.core.adapters.RosaConfig;
import dev.rosarium.core.adapters.SparseMask;
import dev.rosarium.core.adapters.TargetModules;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.quant.Nf4Weight;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Backend.AdamWHyper;
import dev.rosarium.core.tensor.Backend.AttentionGrads;
import dev.rosarium.core.tensor.Backend.AttentionResult;
import dev.rosarium.core.tensor.Backend.CrossEntropyResult;
import dev.rosarium.core.tensor.Backend.NormGrads;
import dev.rosarium.core.tensor.Backend.NormResult;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import dev.rosarium.core.nn.LinearAdapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * Every CUDA op against the CPU reference on random inputs, and short LoRA / RoSA training runs of
 * a small LLaMA on both backends. Each check builds its inputs from one seed on each backend,
 * runs the op, and compares the outputs by {@code ||cuda - cpu|| / ||cpu||}; NaN never passes.
 * Run as a program on a GPU host for the table; {@code CudaParityTest} asserts the same checks.
 */
public final class CudaParity {
    /** fp32 results differ only in summation order. */
    public static final double F32_TOL = 1e-4;
    /** bf16 results differ where fp32 intermediates round to neighbouring bf16 values. */
    public static final double BF16_TOL = 1e-2;
    /** Loss curves: the same 20 steps on both backends. */
    public static final double LOSS_TOL_F32 = 1e-3;
    public static final double LOSS_TOL_BF16 = 3e-2;

    /** One comparison's outcome. */
    public record Outcome(String name, DType dtype, double relError, double tolerance) {
        public boolean passed() {
            return !Double.isNaN(relError) && relError <= tolerance;
        }
    }

    private final long seed;
    private final Backend cpu = CpuBackend.get();
    private final Backend gpu;

    public CudaParity(Backend gpu, long seed) {
        this.gpu = gpu;
        this.seed = seed;
    }

    // ---- inputs -----------------------------------------------------------------------------

    private static float[] randoms(long seed, int n, float lo, float hi) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * r.nextFloat();
        }
        return x;
    }

    private static int[] randomInts(long seed, int n, int bound) {
        Random r = new Random(seed);
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(bound);
        }
        return x;
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Inputs for one check: the same numbers on whichever backend asks. */
    private final class In {
        final Backend be;
        final DType dt;
        long next;

        In(Backend be, DType dt, long checkSeed) {
            this.be = be;
            this.dt = dt;
            this.next = checkSeed;
        }

        Tensor f(int... shape) {
            return be.fromFloats(randoms(next++, numel(shape), -1f, 1f), dt, shape);
        }

        Tensor f32(float lo, float hi, int... shape) {
            return be.fromFloats(randoms(next++, numel(shape), lo, hi), DType.F32, shape);
        }

        Tensor ints(int bound, int... shape) {
            return be.fromInts(randomInts(next++, numel(shape), bound), DType.I32, shape);
        }
    }

    private static float[] cat(Tensor... ts) {
        int n = 0;
        List<float[]> parts = new ArrayList<>();
        for (Tensor t : ts) {
            float[] f = t.toFloats();
            parts.add(f);
            n += f.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] f : parts) {
            System.arraycopy(f, 0, out, o, f.length);
            o += f.length;
        }
        return out;
    }

    static double relError(float[] got, float[] ref) {
        if (got.length != ref.length) {
            return Double.NaN;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i]) != Float.isNaN(ref[i])) {
                return Double.NaN;
            }
            if (Float.isInfinite(ref[i]) && got[i] == ref[i]) {
                continue;
            }
            double d = (double) got[i] - ref[i];
            num += d * d;
            den += (double) ref[i] * ref[i];
        }
        return den == 0 ? (num == 0 ? 0 : Double.NaN) : Math.sqrt(num / den);
    }

    // ---- op checks --------------------------------------------------------------------------

    private final List<Outcome> outcomes = new ArrayList<>();
    private long checkCounter;

    /** The tiled SDDMM kernel on the GPU for bf16 operands; the backend's own route otherwise. */
    private static Tensor tiledSddmm(Backend be, Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        return be instanceof CudaBackend cuda && a.dtype() == DType.BF16 ? cuda.sddmmTiles(rowOffs, colIdx, a, b)
                : be.sddmm(rowOffs, colIdx, a, b);
    }

    private void check(String name, DType dt, Function<In, float[]> op) {
        long s = seed * 1_000_003L + checkCounter++;
        float[] ref = op.apply(new In(cpu, dt, s));
        float[] got = op.apply(new In(gpu, dt, s));
        outcomes.add(new Outcome(name, dt, relError(got, ref), dt == DType.BF16 ? BF16_TOL : F32_TOL));
    }

    /** Runs every op check in fp32 and bf16. */
    public List<Outcome> opChecks() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            opChecks(dt);
        }
        return outcomes;
    }

    private void opChecks(DType dt) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                check("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " beta=0.5", dt, in -> {
                    Tensor a = ta ? in.f(3, 70, 45) : in.f(3, 45, 70);
                    Tensor b = tb ? in.f(33, 70) : in.f(70, 33);
                    Tensor c = in.f(3, 45, 33);
                    in.be.gemm(a, ta, b, tb, c, 0.75f, 0.5f);
                    return c.toFloats();
                });
            }
        }
        check("gemm LoRA thin products (rank 16: x A^T, dy B, s h B^T, s g A)", dt, in -> {
            Tensor x = in.f(96, 160);
            Tensor a = in.f(16, 160);
            Tensor dy = in.f(96, 192);
            Tensor b = in.f(192, 16);
            Tensor h = in.be.zeros(in.dt, 96, 16);
            Tensor g = in.be.zeros(in.dt, 96, 16);
            Tensor out = in.be.zeros(in.dt, 96, 192);
            Tensor dx = in.be.zeros(in.dt, 96, 128);
            in.be.gemm(x, false, a, true, h, 1f, 0f);
            in.be.gemm(dy, false, b, false, g, 1f, 0f);
            in.be.gemm(h, false, b, true, out, 2f, 0f);
            in.be.gemm(g, false, in.f(16, 128), false, dx, 0.5f, 0f);
            return cat(h, g, out, dx);
        });
        check("gemm batched B, bf16 x bf16 -> f32 C", dt, in -> {
            Tensor a = in.f(2, 64, 96);
            Tensor b = in.f(2, 96, 40);
            Tensor c = in.be.zeros(DType.F32, 2, 64, 40);
            in.be.gemm(a, false, b, false, c, 1f, 0f);
            return c.toFloats();
        });
        check("gemm mixed f32 x " + dt, dt, in -> {
            Tensor a = in.f32(-1, 1, 30, 20);
            Tensor b = in.f(20, 10);
            Tensor c = in.be.zeros(dt, 30, 10);
            in.be.gemm(a, false, b, false, c, 1f, 0f);
            return c.toFloats();
        });
        for (BinaryOp op : BinaryOp.values()) {
            check("binary " + op, dt, in -> {
                Tensor a = in.f(7, 300);
                Tensor b = op == BinaryOp.DIV ? in.be.fromFloats(randoms(in.next++, 2100, 0.5f, 2f), in.dt, 7, 300) : in.f(7, 300);
                return in.be.binary(op, a, b).toFloats();
            });
            check("binary " + op + " broadcast", dt, in -> {
                Tensor a = in.f(7, 300);
                Tensor b = op == BinaryOp.DIV ? in.be.fromFloats(randoms(in.next++, 300, 0.5f, 2f), in.dt, 300) : in.f(300);
                return in.be.binary(op, a, b).toFloats();
            });
        }
        for (BinaryOp op : BinaryOp.values()) {
            check("binary " + op + ", whole 16-byte vectors, broadcast", dt, in -> {
                Tensor a = in.f(6, 128);
                Tensor b = op == BinaryOp.DIV ? in.be.fromFloats(randoms(in.next++, 128, 0.5f, 2f), in.dt, 128) : in.f(128);
                return in.be.binary(op, a, b).toFloats();
            });
        }
        check("axpy, whole 16-byte vectors", dt, in -> {
            Tensor y = in.f(4096);
            in.be.axpy(-0.7f, in.f(4096), y);
            return y.toFloats();
        });
        check("scale", dt, in -> in.be.scale(in.f(1000), -1.7f).toFloats());
        check("axpy", dt, in -> {
            Tensor y = in.f(999);
            in.be.axpy(0.3f, in.f(999), y);
            return y.toFloats();
        });
        check("copy/cast to " + dt, dt, in -> in.be.cast(in.f32(-3, 3, 517), in.dt).toFloats());
        check("fill", dt, in -> {
            Tensor t = in.f(333);
            in.be.fill(t, 0.1f);
            return t.toFloats();
        });
        for (UnaryOp op : UnaryOp.values()) {
            check("unary " + op, dt, in -> in.be.unary(op, in.f(4000)).toFloats());
            check("unary backward " + op, dt, in -> in.be.unaryBackward(op, in.f(4000), in.f(4000)).toFloats());
        }
        check("sumToTrailing", dt, in -> in.be.sumToTrailing(in.f(37, 5, 64), new int[] {5, 64}).toFloats());
        check("sumAll", dt, in -> in.be.sumAll(in.f32(0, 1, 100_003)).toFloats());
        check("sumSquares", dt, in -> new float[] {(float) in.be.sumSquares(in.f(100_003))});
        check("softmax", dt, in -> in.be.softmax(in.f(13, 1000)).toFloats());
        check("softmax backward", dt, in -> {
            Tensor y = in.be.softmax(in.f(13, 1000));
            return in.be.softmaxBackward(y, in.f(13, 1000)).toFloats();
        });
        check("layerNorm fwd+bwd", dt, in -> {
            Tensor x = in.f(40, 384);
            Tensor g = in.f(384);
            Tensor b = in.f(384);
            NormResult r = in.be.layerNorm(x, g, b, 1e-5f);
            NormGrads gr = in.be.layerNormBackward(x, g, r, in.f(40, 384), true);
            return cat(r.out(), r.mean(), r.rstd(), gr.dx(), gr.dWeight(), gr.dBias());
        });
        check("rmsNorm fwd+bwd", dt, in -> {
            Tensor x = in.f(600, 512);
            Tensor w = in.f(512);
            NormResult r = in.be.rmsNorm(x, w, 1e-6f, 1f);
            NormGrads gr = in.be.rmsNormBackward(x, w, r, in.f(600, 512), 1f, true);
            return cat(r.out(), r.rstd(), gr.dx(), gr.dWeight());
        });
        check("rope fwd and inverse", dt, in -> {
            Tensor x = in.f(2, 9, 3, 16);
            Tensor cos = in.f32(-1, 1, 64, 8);
            Tensor sin = in.f32(-1, 1, 64, 8);
            Tensor pos = in.ints(64, 2, 9);
            return cat(in.be.rope(x, cos, sin, pos, false), in.be.rope(x, cos, sin, pos, true));
        });
        check("embedding fwd+bwd", dt, in -> {
            Tensor table = in.f(50, 24);
            Tensor ids = in.ints(50, 3, 40);
            Tensor out = in.be.embedding(table, ids);
            Tensor d = in.f(50, 24);
            in.be.embeddingBackward(ids, in.f(3, 40, 24), d);
            return cat(out, d);
        });
        check("indexCopy", dt, in -> {
            Tensor dst = in.f(20, 12);
            in.be.indexCopy(in.f(3, 12), in.be.fromInts(new int[] {7, 0, 19}, DType.I32, 3), dst);
            return dst.toFloats();
        });
        check("crossEntropy fwd+bwd (ignored rows)", dt, in -> {
            Tensor logits = in.be.fromFloats(randoms(in.next++, 24 * 3001, -4, 4), in.dt, 24, 3001);
            int[] tg = randomInts(in.next++, 24, 3001);
            tg[5] = -100;
            tg[17] = -100;
            Tensor targets = in.be.fromInts(tg, DType.I32, 24);
            CrossEntropyResult r = in.be.crossEntropy(logits, targets, -100);
            Tensor dLoss = in.f32(0.5f, 1.5f, 24);
            return cat(r.losses(), r.logSumExp(), in.be.crossEntropyBackward(logits, targets, r, dLoss, -100));
        });
        attentionCheck(dt, "attention causal GQA", 2, 37, 37, 8, 2, 32, true, false);
        attentionCheck(dt, "attention padding mask", 2, 21, 21, 4, 4, 16, false, true);
        attentionCheck(dt, "attention causal+mask, tq<tk", 1, 5, 19, 4, 2, 64, true, true);
        attentionCheck(dt, "attention causal GQA, d=64, 3 key tiles", 2, 150, 150, 8, 2, 64, true, false);
        attentionCheck(dt, "attention padding mask, d=128, tq<tk", 2, 70, 131, 4, 4, 128, false, true);
        attentionCheck(dt, "attention causal+mask, d=128", 1, 96, 96, 4, 1, 128, true, true);
        check("topk", dt, in -> {
            Tensor x = in.f32(-1, 1, 5000);
            int[] idx = in.be.topk(x, 123).toInts();
            float[] out = new float[idx.length];
            for (int i = 0; i < idx.length; i++) {
                out[i] = idx[i];
            }
            return out;
        });
        int n = 96;
        int m = 160;
        int[] flat = randomMaskIndices(seed + 7, n * m, n * m / 20);
        SparseMask mask = SparseMask.fromFlatIndices(n, m, flat);
        check("csrAddDense", dt, in -> in.be.csrAddDense(in.f(mask.nnz()), mask.rowOffsTensor(in.be),
                mask.colIdxTensor(in.be), in.f(n, m)).toFloats());
        check("csrAddInPlace, then csrRestore", dt, in -> {
            Tensor w = in.f(n, m);
            Tensor before = in.be.duplicate(w);
            Tensor saved = in.be.zeros(in.dt, mask.nnz());
            Tensor vals = in.f(mask.nnz());
            in.be.csrAddInPlace(vals, mask.rowOffsTensor(in.be), mask.colIdxTensor(in.be), w, saved);
            float[] added = w.toFloats();
            in.be.csrRestore(saved, mask.rowOffsTensor(in.be), mask.colIdxTensor(in.be), w);
            float[] restored = w.toFloats();
            float[] orig = before.toFloats();
            for (int e = 0; e < orig.length; e++) {
                if (Float.floatToIntBits(restored[e]) != Float.floatToIntBits(orig[e])) {
                    return new float[] {Float.NaN}; // a restore must be exact
                }
            }
            return cat(in.be.fromFloats(added, in.dt, added.length), saved);
        });
        check("sddmm (5%, dense GEMM + gather)", dt, in -> in.be.sddmm(mask.rowOffsTensor(in.be), mask.colIdxTensor(in.be), in.f(256, n),
                in.f(256, m)).toFloats());
        SparseMask sparser = SparseMask.fromFlatIndices(300, 400, randomMaskIndices(seed + 8, 300 * 400, 120));
        check("sddmm (0.1%, gathered-dot kernel)", dt, in -> in.be.sddmm(sparser.rowOffsTensor(in.be),
                sparser.colIdxTensor(in.be), in.f(512, 300), in.f(512, 400)).toFloats());
        // a 7B attention shape at RoSA's 0.6%, with a token count off the kernels' 64-token blocks: the
        // route sddmm takes (in bf16 the row-group kernel, in fp32 the dense route), and the tiled kernel
        SparseMask layer = SparseMask.fromFlatIndices(4096, 4096, randomMaskIndices(seed + 9, 4096 * 4096, 100663));
        check("sddmm (0.6%, the route taken)", dt, in -> in.be.sddmm(layer.rowOffsTensor(in.be),
                layer.colIdxTensor(in.be), in.f(520, 4096), in.f(520, 4096)).toFloats());
        check("sddmm (0.6%, tiled kernel in bf16)", dt, in -> tiledSddmm(in.be, layer.rowOffsTensor(in.be),
                layer.colIdxTensor(in.be), in.f(520, 4096), in.f(520, 4096)).toFloats());
        // a last slab of 16 rows, a partial last panel and 36 tokens in the last token block
        SparseMask ragged = SparseMask.fromFlatIndices(1040, 1200, randomMaskIndices(seed + 10, 1040 * 1200, 12480));
        check("sddmm (1%, tiled kernel, partial slab, panel and token block)", dt, in -> tiledSddmm(in.be,
                ragged.rowOffsTensor(in.be), ragged.colIdxTensor(in.be), in.f(100, 1040), in.f(100, 1200)).toFloats());
        check("gradient statistics, 3 micro-batches (mean of squared dO^T X)", dt, in -> {
            try (GradientStatistics stats = new GradientStatistics(in.be, 48, 80, GradientStatistics.Mode.MEAN_SQUARED)) {
                for (int mb = 0; mb < 3; mb++) {
                    stats.accumulate(in.f(64, 48), in.f(64, 80));
                }
                return stats.statistic().toFloats();
            }
        });
        check("NF4 quantize (host) and dequantize", dt, in -> {
            try (Nf4Weight q = Nf4Weight.quantize(in.f(300, 70))) {
                return q.dequantize().toFloats();
            }
        });
        check("spmm x S^T", dt, in -> in.be.spmm(in.f(mask.nnz()), mask.rowOffsTensor(in.be), mask.colIdxTensor(in.be), m,
                in.f(50, m), false).toFloats());
        check("spmm x S", dt, in -> in.be.spmm(in.f(mask.nnz()), mask.rowOffsTensor(in.be), mask.colIdxTensor(in.be), m,
                in.f(50, n), true).toFloats());
        check("fillUniform", dt, in -> {
            Tensor t = in.f(10_001);
            in.be.fillUniform(t, -2f, 3f, 12345L, 77L);
            return t.toFloats();
        });
        check("fillNormal", dt, in -> {
            Tensor t = in.f(10_001);
            in.be.fillNormal(t, 0.5f, 2f, 999L, 5L);
            return t.toFloats();
        });
        check("adamwStep x3", dt, in -> {
            Tensor p = in.f(5000);
            Tensor mm = in.be.zeros(DType.F32, 5000);
            Tensor v = in.be.zeros(DType.F32, 5000);
            for (int step = 1; step <= 3; step++) {
                in.be.adamwStep(p, in.f(5000), mm, v, new AdamWHyper(1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step));
            }
            return cat(p, mm, v);
        });
        check("sgdStep x2 momentum", dt, in -> {
            Tensor p = in.f(5000);
            Tensor buf = in.be.zeros(DType.F32, 5000);
            for (int step = 0; step < 2; step++) {
                in.be.sgdStep(p, in.f(5000), buf, 0.1f, 0.9f, 0.01f);
            }
            return cat(p, buf);
        });
    }

    private void attentionCheck(DType dt, String name, int b, int tq, int tk, int hq, int hkv, int d, boolean causal,
                                boolean masked) {
        check(name, dt, in -> {
            Tensor q = in.f(b, tq, hq, d);
            Tensor k = in.f(b, tk, hkv, d);
            Tensor v = in.f(b, tk, hkv, d);
            Tensor mask = null;
            if (masked) {
                int[] mk = new int[b * tk];
                java.util.Arrays.fill(mk, 1);
                for (int s = 0; s < tk; s += 3) {
                    mk[s] = 0; // pads early keys of batch 0, including a query's only key in causal rows
                }
                mask = in.be.fromInts(mk, DType.I32, b, tk);
            }
            float scale = (float) (1 / Math.sqrt(d));
            AttentionResult r = in.be.attention(q, k, v, mask, causal, scale);
            AttentionGrads g = in.be.attentionBackward(q, k, v, mask, causal, scale, r, in.f(b, tq, hq, d));
            return cat(r.out(), r.logSumExp(), g.dq(), g.dk(), g.dv());
        });
    }

    private static int[] randomMaskIndices(long seed, int size, int count) {
        Random r = new Random(seed);
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        while (s.size() < count) {
            s.add(r.nextInt(size));
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---- training runs ----------------------------------------------------------------------

    /** Which adapter a training run uses. */
    public enum Method { LORA, ROSA_SP_ADD, ROSA_SPMM }

    /** A training comparison: the two loss curves and their largest relative difference. */
    public record Curve(Method method, DType dtype, float[] cpuLosses, float[] cudaLosses, double maxRelDiff,
                        double tolerance) {
        public boolean passed() {
            return !Double.isNaN(maxRelDiff) && maxRelDiff <= tolerance;
        }
    }

    public Curve trainingCheck(Method method, DType dt, int steps) throws Exception {
        float[] a = train(cpu, method, dt, steps);
        float[] b = train(gpu, method, dt, steps);
        double worst = 0;
        for (int i = 0; i < steps; i++) {
            double d = Math.abs((double) a[i] - b[i]) / Math.abs(a[i]);
            worst = Double.isNaN(d) ? Double.NaN : Math.max(worst, d);
        }
        return new Curve(method, dt, a, b, worst, dt == DType.BF16 ? LOSS_TOL_BF16 : LOSS_TOL_F32);
    }

    private float[] train(Backend be, Method method, DType dt, int steps) throws Exception {
        LlamaConfig cfg = new LlamaConfig(128, 64, 160, 2, 4, 2, 16, 1e-5f, 10000, LlamaConfig.RopeScaling.NONE, 128,
                false);
        LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(
                Weights.randomInit(LlamaForCausalLM.weightShapes(cfg), seed, 0.2f), be, dt, name -> false));
        AdapterSet set;
        if (method == Method.LORA) {
            set = AdapterSet.lora(model.linearModules(), new LoraConfig(8, 16, 0, TargetModules.allLinear(), false, false),
                    seed);
        } else {
            RosaConfig rc = new RosaConfig(8, 16, 0, 0.05, TargetModules.allLinear(), 0, 1,
                    GradientStatistics.Mode.MEAN_SQUARED,
                    method == Method.ROSA_SPMM ? RosaConfig.Impl.SPMM : RosaConfig.Impl.SP_ADD);
            set = AdapterSet.rosa(model.linearModules(), rc, seed);
            int site = 0;
            for (LinearAdapter la : set.adapters().values()) {
                RosaAdapter ra = (RosaAdapter) la;
                int rows = ra.base().outFeatures();
                int cols = ra.base().inFeatures();
                ra.setMask(SparseMask.fromFlatIndices(rows, cols,
                        randomMaskIndices(seed + site++, rows * cols, SparseMask.nnzFor(0.05, rows, cols))));
            }
        }
        AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("adapters", set.parameters(), 5e-3, 0.0)));
        int batch = 4;
        int seq = 32;
        int[] ids = randomInts(seed + 99, batch * seq, cfg.vocabSize());
        int[] targets = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            targets[i] = i % seq == seq - 1 ? -100 : ids[i + 1];
        }
        float[] losses = new float[steps];
        try (Tensor x = be.fromInts(ids, DType.I32, batch, seq); Tensor y = be.fromInts(targets, DType.I32, batch * seq)) {
            for (int s = 0; s < steps; s++) {
                try (Tape t = Tape.training(be)) {
                    Variable loss = t.crossEntropy(model.logits(t, x, null, null, null), y, -100);
                    losses[s] = loss.value().item();
                    t.backward(loss);
                }
                opt.step(1.0);
                opt.zeroGrad();
            }
        }
        return losses;
    }

    // ---- program ----------------------------------------------------------------------------

    /** Prints the op table and the training curves; exits 1 if any check fails. */
    public static void main(String[] args) throws Exception {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : System.nanoTime();
        CudaBackend gpu = CudaBackend.get();
        System.out.printf(Locale.ROOT, "device %s (sm_%d), seed %d%n", gpu.device().name(), gpu.device().arch(), seed);
        CudaParity p = new CudaParity(gpu, seed);
        boolean ok = true;
        System.out.println("| op | dtype | rel error | tolerance | ok |");
        System.out.println("|---|---|---|---|---|");
        for (Outcome o : p.opChecks()) {
            ok &= o.passed();
            System.out.printf(Locale.ROOT, "| %s | %s | %.2e | %.0e | %s |%n", o.name(), o.dtype(), o.relError(),
                    o.tolerance(), o.passed() ? "yes" : "NO");
        }
        System.out.println();
        System.out.println("| training (20 steps) | dtype | first loss cpu/cuda | last loss cpu/cuda | max rel diff | ok |");
        System.out.println("|---|---|---|---|---|---|");
        for (Method m : Method.values()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                Curve c = p.trainingCheck(m, dt, 20);
                ok &= c.passed();
                System.out.printf(Locale.ROOT, "| %s | %s | %.5f / %.5f | %.5f / %.5f | %.2e | %s |%n", m, dt,
                        c.cpuLosses()[0], c.cudaLosses()[0], c.cpuLosses()[19], c.cudaLosses()[19], c.maxRelDiff(),
                        c.passed() ? "yes" : "NO");
            }
        }
        System.out.println(ok ? "ALL PASSED" : "SOME CHECKS FAILED");
        System.exit(ok ? 0 : 1);
    }
}
