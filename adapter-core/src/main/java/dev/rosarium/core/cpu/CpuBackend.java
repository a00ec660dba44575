package dev.rosarium.core.cpu;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.BinaryOp;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.GemmShape;
import dev.rosarium.core.tensor.LowPrecision;
import dev.rosarium.core.tensor.Philox;
import dev.rosarium.core.tensor.Shapes;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;

import java.util.Arrays;

/**
 * The reference backend: plain Java, multi-threaded over rows with {@link Parallel}, fp32 compute.
 * Every GPU kernel is tested against it. F64 and I64 are file formats only, not compute types here.
 */
public final class CpuBackend implements Backend {
    private static final CpuBackend INSTANCE = new CpuBackend();
    /** Rows per parallel chunk for row-wise ops; rows are short, so batch many per task. */
    private static final int ROW_GRAIN = 16;

    public static CpuBackend get() {
        return INSTANCE;
    }

    private CpuBackend() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ---- storage ----------------------------------------------------------------------------

    static float[] f(Tensor t) {
        CpuStorage s = (CpuStorage) t.storage();
        if (s.f == null) {
            throw new IllegalArgumentException("expected a floating tensor, got " + t);
        }
        return s.f;
    }

    static int[] i(Tensor t) {
        CpuStorage s = (CpuStorage) t.storage();
        if (s.i == null) {
            throw new IllegalArgumentException("expected an integer tensor, got " + t);
        }
        return s.i;
    }

    private Tensor wrap(float[] data, DType dtype, int[] shape) {
        return new Tensor(this, dtype, shape, CpuStorage.ofFloats(data), false);
    }

    private Tensor newLike(Tensor t) {
        return wrap(new float[t.numelInt()], t.dtype(), t.shape());
    }

    /** Rounds a freshly computed output to its dtype's precision. */
    private static Tensor finish(Tensor t) {
        if (t.dtype() == DType.BF16 || t.dtype() == DType.F16) {
            float[] d = f(t);
            DType dt = t.dtype();
            Parallel.range(d.length, 1 << 14, (lo, hi) -> {
                for (int x = lo; x < hi; x++) {
                    d[x] = LowPrecision.round(d[x], dt);
                }
            });
        }
        return t;
    }

    private static void checkComputeType(DType dtype) {
        if (dtype == DType.F64 || dtype == DType.I64) {
            throw new IllegalArgumentException(dtype + " is a file format only; the CPU backend computes in F32/BF16/F16/I32");
        }
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        checkComputeType(dtype);
        int n = Math.toIntExact(Shapes.numel(shape));
        CpuStorage s = dtype.isFloating() ? CpuStorage.ofFloats(new float[n]) : CpuStorage.ofInts(new int[n]);
        return new Tensor(this, dtype, shape, s, false);
    }

    @Override
    public Tensor fromFloats(float[] data, DType dtype, int... shape) {
        checkComputeType(dtype);
        checkCount(data.length, shape);
        if (!dtype.isFloating()) {
            int[] ints = new int[data.length];
            for (int x = 0; x < data.length; x++) {
                ints[x] = (int) data[x];
            }
            return new Tensor(this, dtype, shape, CpuStorage.ofInts(ints), false);
        }
        return finish(wrap(data.clone(), dtype, shape));
    }

    @Override
    public Tensor fromInts(int[] data, DType dtype, int... shape) {
        checkComputeType(dtype);
        checkCount(data.length, shape);
        if (dtype.isFloating()) {
            float[] fl = new float[data.length];
            for (int x = 0; x < data.length; x++) {
                fl[x] = data[x];
            }
            return finish(wrap(fl, dtype, shape));
        }
        return new Tensor(this, dtype, shape, CpuStorage.ofInts(data.clone()), false);
    }

    private static void checkCount(int len, int[] shape) {
        if (Shapes.numel(shape) != len) {
            throw new IllegalArgumentException(len + " elements do not fill shape " + Shapes.str(shape));
        }
    }

    @Override
    public float[] toFloats(Tensor t) {
        CpuStorage s = (CpuStorage) t.storage();
        if (s.f != null) {
            return s.f.clone();
        }
        float[] out = new float[s.i.length];
        for (int x = 0; x < out.length; x++) {
            out[x] = s.i[x];
        }
        return out;
    }

    @Override
    public int[] toInts(Tensor t) {
        CpuStorage s = (CpuStorage) t.storage();
        if (s.i != null) {
            return s.i.clone();
        }
        int[] out = new int[s.f.length];
        for (int x = 0; x < out.length; x++) {
            out[x] = (int) s.f[x];
        }
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("copy " + src + " into " + dst + ": element counts differ");
        }
        CpuStorage s = (CpuStorage) src.storage();
        CpuStorage d = (CpuStorage) dst.storage();
        if (d.f != null) {
            if (s.f != null) {
                System.arraycopy(s.f, 0, d.f, 0, s.f.length);
            } else {
                for (int x = 0; x < s.i.length; x++) {
                    d.f[x] = s.i[x];
                }
            }
            if (dst.dtype() != src.dtype()) {
                finish(dst);
            }
        } else if (s.i != null) {
            System.arraycopy(s.i, 0, d.i, 0, s.i.length);
        } else {
            for (int x = 0; x < s.f.length; x++) {
                d.i[x] = (int) s.f[x];
            }
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        CpuStorage s = (CpuStorage) t.storage();
        if (s.f != null) {
            Arrays.fill(s.f, LowPrecision.round(value, t.dtype()));
        } else {
            Arrays.fill(s.i, (int) value);
        }
    }

    @Override
    public void release(Tensor t) {
        // the garbage collector owns CPU buffers
    }

    // ---- matrix products --------------------------------------------------------------------

    @Override
    public void gemm(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        GemmShape g = GemmShape.of(a, transA, b, transB, c);
        int m = g.m();
        int n = g.n();
        int k = g.k();
        int batch = g.batch();
        int batchB = g.batchB();
        float[] af = f(a);
        float[] bf = f(b);
        float[] cf = f(c);
        int strideB = batchB == 1 ? 0 : k * n;
        long work = (long) m * n * k;
        if (batch > 1 && work < (1L << 21)) {
            Parallel.range(batch, 1, (lo, hi) -> {
                for (int x = lo; x < hi; x++) {
                    CpuGemm.gemm(af, x * m * k, transA, bf, x * strideB, transB, cf, x * m * n, m, n, k, alpha, beta,
                            false);
                }
            });
        } else {
            for (int x = 0; x < batch; x++) {
                CpuGemm.gemm(af, x * m * k, transA, bf, x * strideB, transB, cf, x * m * n, m, n, k, alpha, beta,
                        true);
            }
        }
        finish(c);
    }

    // ---- elementwise ------------------------------------------------------------------------

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int na = a.numelInt();
        int nb = b.numelInt();
        Shapes.checkTrailing(op.toString(), a.shape(), b.shape());
        float[] x = f(a);
        float[] y = f(b);
        Tensor out = newLike(a);
        float[] o = f(out);
        Parallel.range(na, 1 << 14, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                float u = x[e];
                float w = nb == na ? y[e] : y[e % nb];
                switch (op) {
                    case ADD:
                        o[e] = u + w;
                        break;
                    case SUB:
                        o[e] = u - w;
                        break;
                    case MUL:
                        o[e] = u * w;
                        break;
                    default:
                        o[e] = u / w;
                }
            }
        });
        return finish(out);
    }

    @Override
    public Tensor scale(Tensor a, float s) {
        float[] x = f(a);
        Tensor out = newLike(a);
        float[] o = f(out);
        Parallel.range(x.length, 1 << 14, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                o[e] = x[e] * s;
            }
        });
        return finish(out);
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        if (x.numel() != y.numel()) {
            throw new IllegalArgumentException("axpy " + x + " into " + y + ": element counts differ");
        }
        float[] xf = f(x);
        float[] yf = f(y);
        Parallel.range(xf.length, 1 << 14, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                yf[e] += alpha * xf[e];
            }
        });
        finish(y);
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    @Override
    public Tensor unary(UnaryOp op, Tensor x) {
        float[] in = f(x);
        Tensor out = newLike(x);
        float[] o = f(out);
        Parallel.range(in.length, 1 << 12, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                o[e] = (float) unaryValue(op, in[e]);
            }
        });
        return finish(out);
    }

    private static double unaryValue(UnaryOp op, double v) {
        switch (op) {
            case GELU:
                return 0.5 * v * (1 + Erf.erf(v / Math.sqrt(2)));
            case GELU_TANH:
                return 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
            case SILU:
                return v / (1 + Math.exp(-v));
            case RELU:
                return v > 0 ? v : 0;
            case TANH:
                return Math.tanh(v);
            case SQUARE:
                return v * v;
            case EXP:
                return Math.exp(v);
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    private static double unaryDerivative(UnaryOp op, double v) {
        switch (op) {
            case GELU: {
                double cdf = 0.5 * (1 + Erf.erf(v / Math.sqrt(2)));
                double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                return cdf + v * pdf;
            }
            case GELU_TANH: {
                double inner = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
                double t = Math.tanh(inner);
                double dInner = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
                return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner;
            }
            case SILU: {
                double s = 1 / (1 + Math.exp(-v));
                return s * (1 + v * (1 - s));
            }
            case RELU:
                return v > 0 ? 1 : 0;
            case TANH: {
                double t = Math.tanh(v);
                return 1 - t * t;
            }
            case SQUARE:
                return 2 * v;
            case EXP:
                return Math.exp(v);
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    @Override
    public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor dy) {
        float[] in = f(x);
        float[] g = f(dy);
        Tensor out = newLike(x);
        float[] o = f(out);
        Parallel.range(in.length, 1 << 12, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                o[e] = (float) (g[e] * unaryDerivative(op, in[e]));
            }
        });
        return finish(out);
    }

    // ---- reductions -------------------------------------------------------------------------

    @Override
    public Tensor sumToTrailing(Tensor a, int[] trailingShape) {
        int cols = Math.toIntExact(Shapes.numel(trailingShape));
        if (cols == 0 || a.numel() % cols != 0) {
            throw new IllegalArgumentException("cannot sum " + a + " down to " + Shapes.str(trailingShape));
        }
        int rows = a.numelInt() / cols;
        float[] x = f(a);
        Tensor out = wrap(new float[cols], a.dtype(), trailingShape);
        float[] o = f(out);
        Parallel.range(cols, 64, (lo, hi) -> {
            double[] acc = new double[hi - lo];
            for (int r = 0; r < rows; r++) {
                int base = r * cols;
                for (int j = lo; j < hi; j++) {
                    acc[j - lo] += x[base + j];
                }
            }
            for (int j = lo; j < hi; j++) {
                o[j] = (float) acc[j - lo];
            }
        });
        return finish(out);
    }

    @Override
    public Tensor sumAll(Tensor a) {
        float[] x = f(a);
        double s = 0;
        for (float v : x) {
            s += v;
        }
        return wrap(new float[] {(float) s}, DType.F32, new int[] {1});
    }

    @Override
    public double sumSquares(Tensor a) {
        float[] x = f(a);
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return s;
    }

    // ---- neural-network ops -----------------------------------------------------------------

    @Override
    public Tensor softmax(Tensor x) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        float[] in = f(x);
        Tensor out = newLike(x);
        float[] o = f(out);
        Parallel.range(rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * n;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, in[base + j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    float e = (float) Math.exp(in[base + j] - max);
                    o[base + j] = e;
                    sum += e;
                }
                float inv = (float) (1 / sum);
                for (int j = 0; j < n; j++) {
                    o[base + j] *= inv;
                }
            }
        });
        return finish(out);
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor dy) {
        int n = y.dim(-1);
        int rows = y.numelInt() / n;
        float[] yv = f(y);
        float[] g = f(dy);
        Tensor out = newLike(y);
        float[] o = f(out);
        Parallel.range(rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * n;
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += (double) yv[base + j] * g[base + j];
                }
                for (int j = 0; j < n; j++) {
                    o[base + j] = (float) (yv[base + j] * (g[base + j] - dot));
                }
            }
        });
        return finish(out);
    }

    @Override
    public NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        float[] in = f(x);
        float[] gw = f(gamma);
        float[] bw = beta == null ? null : f(beta);
        Tensor out = newLike(x);
        float[] o = f(out);
        float[] mean = new float[rows];
        float[] rstd = new float[rows];
        Parallel.range(rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * n;
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += in[base + j];
                }
                double mu = s / n;
                double v = 0;
                for (int j = 0; j < n; j++) {
                    double dlt = in[base + j] - mu;
                    v += dlt * dlt;
                }
                double rs = 1 / Math.sqrt(v / n + eps);
                mean[r] = (float) mu;
                rstd[r] = (float) rs;
                for (int j = 0; j < n; j++) {
                    float xhat = (float) ((in[base + j] - mu) * rs);
                    o[base + j] = xhat * gw[j] + (bw == null ? 0f : bw[j]);
                }
            }
        });
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        return new NormResult(finish(out), wrap(mean, DType.F32, statShape), wrap(rstd, DType.F32, statShape));
    }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor gamma, NormResult saved, Tensor dy, boolean wantWeightGrads) {
        return normBackward(x, gamma, f(saved.mean()), f(saved.rstd()), dy, 0f, wantWeightGrads, true);
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor w, float eps, float weightOffset) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        float[] in = f(x);
        float[] wv = f(w);
        Tensor out = newLike(x);
        float[] o = f(out);
        float[] rstd = new float[rows];
        Parallel.range(rows, ROW_GRAIN, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * n;
                double ss = 0;
                for (int j = 0; j < n; j++) {
                    ss += (double) in[base + j] * in[base + j];
                }
                float rs = (float) (1 / Math.sqrt(ss / n + eps));
                rstd[r] = rs;
                for (int j = 0; j < n; j++) {
                    o[base + j] = in[base + j] * rs * (weightOffset + wv[j]);
                }
            }
        });
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        return new NormResult(finish(out), null, wrap(rstd, DType.F32, statShape));
    }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor w, NormResult saved, Tensor dy, float weightOffset,
                                     boolean wantWeightGrads) {
        return normBackward(x, w, null, f(saved.rstd()), dy, weightOffset, wantWeightGrads, false);
    }

    /**
     * Shared backward of layer norm ({@code mean != null}) and RMS norm. Weight gradients are
     * reduced over rows in per-chunk partial sums added in chunk order, which keeps them
     * deterministic.
     */
    private NormGrads normBackward(Tensor x, Tensor weight, float[] mean, float[] rstd, Tensor dy, float weightOffset,
                                   boolean wantWeightGrads, boolean centered) {
        int n = x.dim(-1);
        int rows = x.numelInt() / n;
        float[] in = f(x);
        float[] wv = f(weight);
        float[] g = f(dy);
        Tensor dx = newLike(x);
        float[] dxf = f(dx);
        int chunks = Math.max(1, Math.min(Parallel.threads(), rows / ROW_GRAIN));
        double[][] dw = new double[chunks][wantWeightGrads ? n : 0];
        double[][] db = new double[chunks][wantWeightGrads && centered ? n : 0];
        Parallel.range(chunks, 1, (clo, chi) -> {
            for (int c = clo; c < chi; c++) {
                int lo = (int) ((long) rows * c / chunks);
                int hi = (int) ((long) rows * (c + 1) / chunks);
                for (int r = lo; r < hi; r++) {
                    int base = r * n;
                    float mu = centered ? mean[r] : 0f;
                    float rs = rstd[r];
                    double sumG = 0;
                    double sumGX = 0;
                    for (int j = 0; j < n; j++) {
                        float xhat = (in[base + j] - mu) * rs;
                        float gj = g[base + j] * (weightOffset + wv[j]);
                        sumG += gj;
                        sumGX += (double) gj * xhat;
                        if (wantWeightGrads) {
                            dw[c][j] += (double) g[base + j] * xhat;
                            if (centered) {
                                db[c][j] += g[base + j];
                            }
                        }
                    }
                    float meanG = centered ? (float) (sumG / n) : 0f;
                    float meanGX = (float) (sumGX / n);
                    for (int j = 0; j < n; j++) {
                        float xhat = (in[base + j] - mu) * rs;
                        float gj = g[base + j] * (weightOffset + wv[j]);
                        dxf[base + j] = rs * (gj - meanG - xhat * meanGX);
                    }
                }
            }
        });
        Tensor dWeight = null;
        Tensor dBias = null;
        if (wantWeightGrads) {
            dWeight = wrap(reduceChunks(dw, n), weight.dtype(), weight.shape());
            finish(dWeight);
            if (centered) {
                dBias = finish(wrap(reduceChunks(db, n), weight.dtype(), weight.shape()));
            }
        }
        return new NormGrads(finish(dx), dWeight, dBias);
    }

    private static float[] reduceChunks(double[][] parts, int n) {
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (double[] p : parts) {
                s += p[j];
            }
            out[j] = (float) s;
        }
        return out;
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin, Tensor positions, boolean inverse) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("rope expects (batch, seq, heads, headDim), got " + x);
        }
        int batch = x.dim(0);
        int seq = x.dim(1);
        int heads = x.dim(2);
        int d = x.dim(3);
        int half = d / 2;
        if (cos.dim(-1) != half || positions.numel() != (long) batch * seq) {
            throw new IllegalArgumentException("rope tables " + cos + " / positions " + positions + " do not fit " + x);
        }
        int maxPos = cos.dim(0);
        float[] in = f(x);
        float[] cf = f(cos);
        float[] sf = f(sin);
        int[] pos = i(positions);
        float sign = inverse ? -1f : 1f;
        Tensor out = newLike(x);
        float[] o = f(out);
        Parallel.range(batch * seq, ROW_GRAIN, (lo, hi) -> {
            for (int bt = lo; bt < hi; bt++) {
                int p = pos[bt];
                if (p < 0 || p >= maxPos) {
                    throw new IllegalArgumentException("position " + p + " outside the rope table of " + maxPos);
                }
                for (int h = 0; h < heads; h++) {
                    int base = (bt * heads + h) * d;
                    for (int j = 0; j < half; j++) {
                        float c = cf[p * half + j];
                        float s = sign * sf[p * half + j];
                        float x1 = in[base + j];
                        float x2 = in[base + j + half];
                        o[base + j] = x1 * c - x2 * s;
                        o[base + j + half] = x2 * c + x1 * s;
                    }
                }
            }
        });
        return finish(out);
    }

    @Override
    public Tensor embedding(Tensor table, Tensor ids) {
        int vocab = table.dim(0);
        int dim = table.dim(1);
        int[] idx = i(ids);
        float[] tf = f(table);
        int[] outShape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        outShape[ids.rank()] = dim;
        Tensor out = wrap(new float[idx.length * dim], table.dtype(), outShape);
        float[] o = f(out);
        for (int x = 0; x < idx.length; x++) {
            if (idx[x] < 0 || idx[x] >= vocab) {
                throw new IllegalArgumentException("token id " + idx[x] + " at position " + x
                        + " is outside the vocabulary of " + vocab);
            }
            System.arraycopy(tf, idx[x] * dim, o, x * dim, dim);
        }
        return out;
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        int dim = dTable.dim(1);
        int[] idx = i(ids);
        float[] g = f(dOut);
        float[] t = f(dTable);
        // split by embedding column so threads never write the same element
        Parallel.range(dim, 64, (lo, hi) -> {
            for (int x = 0; x < idx.length; x++) {
                int src = x * dim;
                int dst = idx[x] * dim;
                for (int j = lo; j < hi; j++) {
                    t[dst + j] += g[src + j];
                }
            }
        });
        finish(dTable);
    }

    @Override
    public void indexCopy(Tensor src, Tensor rows, Tensor dst) {
        int width = dst.dim(-1);
        int dstRows = dst.numelInt() / width;
        int[] idx = i(rows);
        if (src.numel() != (long) idx.length * width) {
            throw new IllegalArgumentException("indexCopy: " + src + " is not " + idx.length + " rows of " + width);
        }
        float[] s = f(src);
        float[] d = f(dst);
        for (int x = 0; x < idx.length; x++) {
            if (idx[x] < 0 || idx[x] >= dstRows) {
                throw new IllegalArgumentException("indexCopy: row " + idx[x] + " outside " + dstRows);
            }
            System.arraycopy(s, x * width, d, idx[x] * width, width);
        }
        finish(dst);
    }

    @Override
    public CrossEntropyResult crossEntropy(Tensor logits, Tensor targets, int ignoreIndex) {
        int vocab = logits.dim(-1);
        int rows = logits.numelInt() / vocab;
        float[] lf = f(logits);
        int[] tg = i(targets);
        if (tg.length != rows) {
            throw new IllegalArgumentException("cross-entropy: " + rows + " rows of logits but " + tg.length
                    + " targets");
        }
        float[] loss = new float[rows];
        float[] lse = new float[rows];
        Parallel.range(rows, 4, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * vocab;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < vocab; j++) {
                    max = Math.max(max, lf[base + j]);
                }
                double sum = 0;
                for (int j = 0; j < vocab; j++) {
                    sum += Math.exp(lf[base + j] - max);
                }
                lse[r] = (float) (max + Math.log(sum));
                int t = tg[r];
                if (t == ignoreIndex) {
                    loss[r] = 0f;
                } else {
                    if (t < 0 || t >= vocab) {
                        throw new IllegalArgumentException("target " + t + " at row " + r + " outside vocabulary "
                                + vocab);
                    }
                    loss[r] = lse[r] - lf[base + t];
                }
            }
        });
        return new CrossEntropyResult(wrap(loss, DType.F32, new int[] {rows}), wrap(lse, DType.F32, new int[] {rows}));
    }

    @Override
    public Tensor crossEntropyBackward(Tensor logits, Tensor targets, CrossEntropyResult saved, Tensor dLoss,
                                       int ignoreIndex) {
        int vocab = logits.dim(-1);
        int rows = logits.numelInt() / vocab;
        float[] lf = f(logits);
        int[] tg = i(targets);
        float[] lse = f(saved.logSumExp());
        float[] dl = f(dLoss);
        Tensor out = newLike(logits);
        float[] o = f(out);
        Parallel.range(rows, 4, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int base = r * vocab;
                if (tg[r] == ignoreIndex) {
                    continue;
                }
                float scaleRow = dl[dl.length == 1 ? 0 : r];
                for (int j = 0; j < vocab; j++) {
                    o[base + j] = (float) Math.exp(lf[base + j] - lse[r]) * scaleRow;
                }
                o[base + tg[r]] -= scaleRow;
            }
        });
        return finish(out);
    }

    private static CpuAttention.Dims attentionDims(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || !k.sameShape(v)) {
            throw new IllegalArgumentException("attention expects (batch, seq, heads, headDim): q " + q + ", k " + k
                    + ", v " + v);
        }
        CpuAttention.Dims dm = new CpuAttention.Dims(q.dim(0), q.dim(1), k.dim(1), q.dim(2), k.dim(2), q.dim(3));
        if (k.dim(0) != dm.batch() || k.dim(3) != dm.d() || dm.hq() % dm.hkv() != 0 || dm.tq() > dm.tk()) {
            throw new IllegalArgumentException("attention shapes do not agree: q " + q + ", k " + k);
        }
        return dm;
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale) {
        CpuAttention.Dims dm = attentionDims(q, k, v);
        Tensor out = newLike(q);
        Tensor lse = zeros(DType.F32, dm.batch(), dm.hq(), dm.tq());
        CpuAttention.forward(dm, f(q), f(k), f(v), keyMask == null ? null : i(keyMask), causal, scale, f(out), f(lse));
        return new AttentionResult(finish(out), lse);
    }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale,
                                            AttentionResult saved, Tensor dOut) {
        CpuAttention.Dims dm = attentionDims(q, k, v);
        Tensor dq = newLike(q);
        Tensor dk = newLike(k);
        Tensor dv = newLike(v);
        CpuAttention.backward(dm, f(q), f(k), f(v), keyMask == null ? null : i(keyMask), causal, scale,
                f(saved.out()), f(saved.logSumExp()), f(dOut), f(dq), f(dk), f(dv));
        return new AttentionGrads(finish(dq), finish(dk), finish(dv));
    }

    @Override
    public Tensor topk(Tensor x, int k) {
        float[] v = f(x);
        if (k < 0 || k > v.length) {
            throw new IllegalArgumentException("top-" + k + " of " + v.length + " elements");
        }
        int[] result = new int[k];
        if (k > 0) {
            float threshold = Selection.kthLargest(v.clone(), k);
            int n = 0;
            for (int e = 0; e < v.length && n < k; e++) {
                if (v[e] > threshold) {
                    result[n++] = e;
                }
            }
            for (int e = 0; e < v.length && n < k; e++) {
                if (v[e] == threshold) {
                    result[n++] = e;
                }
            }
            Arrays.sort(result);
        }
        return fromInts(result, DType.I32, k);
    }

    // ---- sparse (CSR) -----------------------------------------------------------------------

    @Override
    public Tensor csrAddDense(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense) {
        int n = dense.dim(0);
        int[] ro = i(rowOffs);
        int[] ci = i(colIdx);
        float[] v = f(values);
        checkCsr(ro, ci, v.length, n, dense.dim(1));
        Tensor out = duplicate(dense);
        float[] o = f(out);
        int m = dense.dim(1);
        for (int r = 0; r < n; r++) {
            for (int k = ro[r]; k < ro[r + 1]; k++) {
                o[r * m + ci[k]] += v[k];
            }
        }
        return finish(out);
    }

    @Override
    public void csrAddInPlace(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense, Tensor saved) {
        int n = dense.dim(0);
        int m = dense.dim(1);
        int[] ro = i(rowOffs);
        int[] ci = i(colIdx);
        float[] v = f(values);
        float[] d = f(dense);
        float[] sv = f(saved);
        checkCsr(ro, ci, v.length, n, m);
        if (sv.length != v.length) {
            throw new IllegalArgumentException("csrAddInPlace: " + saved + " cannot hold " + v.length + " elements");
        }
        DType dt = dense.dtype();
        for (int r = 0; r < n; r++) {
            for (int k = ro[r]; k < ro[r + 1]; k++) {
                int e = r * m + ci[k];
                sv[k] = d[e];
                d[e] = LowPrecision.round(d[e] + v[k], dt);
            }
        }
    }

    @Override
    public void csrRestore(Tensor saved, Tensor rowOffs, Tensor colIdx, Tensor dense) {
        int n = dense.dim(0);
        int m = dense.dim(1);
        int[] ro = i(rowOffs);
        int[] ci = i(colIdx);
        float[] sv = f(saved);
        float[] d = f(dense);
        checkCsr(ro, ci, sv.length, n, m);
        for (int r = 0; r < n; r++) {
            for (int k = ro[r]; k < ro[r + 1]; k++) {
                d[r * m + ci[k]] = sv[k];
            }
        }
    }

    private static void checkCsr(int[] ro, int[] ci, int nnz, int n, int m) {
        if (ro.length != n + 1 || ro[0] != 0 || ro[n] != nnz || ci.length != nnz) {
            throw new IllegalArgumentException("CSR structure (" + ro.length + " offsets, " + ci.length
                    + " columns) does not describe " + nnz + " values of a " + n + "x" + m + " matrix");
        }
    }

    @Override
    public Tensor sddmm(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b) {
        int t = a.dim(0);
        int n = a.dim(1);
        int m = b.dim(1);
        int[] ro = i(rowOffs);
        int[] ci = i(colIdx);
        checkCsr(ro, ci, ci.length, n, m);
        // transposed copies make every sampled dot product contiguous
        float[] at = transpose(f(a), t, n);
        float[] bt = transpose(f(b), t, m);
        float[] out = new float[ci.length];
        Parallel.range(n, 8, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                for (int k = ro[r]; k < ro[r + 1]; k++) {
                    double s = 0;
                    int ai = r * t;
                    int bi = ci[k] * t;
                    for (int x = 0; x < t; x++) {
                        s += at[ai + x] * bt[bi + x];
                    }
                    out[k] = (float) s;
                }
            }
        });
        return wrap(out, DType.F32, new int[] {ci.length});
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = x[r * cols + c];
            }
        }
        return out;
    }

    @Override
    public Tensor spmm(Tensor values, Tensor rowOffs, Tensor colIdx, int cols, Tensor x, boolean transposed) {
        int[] ro = i(rowOffs);
        int[] ci = i(colIdx);
        float[] v = f(values);
        int n = ro.length - 1;
        checkCsr(ro, ci, v.length, n, cols);
        int t = x.dim(0);
        float[] xf = f(x);
        int outCols = transposed ? cols : n;
        int inCols = transposed ? n : cols;
        if (x.dim(1) != inCols) {
            throw new IllegalArgumentException("spmm: input " + x + " does not have " + inCols + " columns");
        }
        float[] o = new float[t * outCols];
        Parallel.range(t, 4, (lo, hi) -> {
            for (int row = lo; row < hi; row++) {
                for (int r = 0; r < n; r++) {
                    for (int k = ro[r]; k < ro[r + 1]; k++) {
                        if (transposed) {
                            o[row * outCols + ci[k]] += v[k] * xf[row * inCols + r];
                        } else {
                            o[row * outCols + r] += v[k] * xf[row * inCols + ci[k]];
                        }
                    }
                }
            }
        });
        return finish(wrap(o, x.dtype(), new int[] {t, outCols}));
    }

    // ---- random numbers ---------------------------------------------------------------------

    @Override
    public void fillUniform(Tensor t, float lo, float hi, long seed, long offset) {
        float[] d = f(t);
        Parallel.range(d.length, 1 << 14, (a, b) -> {
            Philox.uniform(seed, offset, d, a, b);
            for (int e = a; e < b; e++) {
                d[e] = lo + (hi - lo) * d[e];
            }
        });
        finish(t);
    }

    @Override
    public void fillNormal(Tensor t, float mean, float std, long seed, long offset) {
        float[] d = f(t);
        Parallel.range(d.length, 1 << 14, (a, b) -> {
            Philox.normal(seed, offset, d, a, b);
            for (int e = a; e < b; e++) {
                d[e] = mean + std * d[e];
            }
        });
        finish(t);
    }

    // ---- optimizers -------------------------------------------------------------------------

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        float[] p = f(param);
        float[] g = f(grad);
        float[] mf = f(m);
        float[] vf = f(v);
        double bc1 = 1 - Math.pow(h.beta1(), h.step());
        double bc2 = 1 - Math.pow(h.beta2(), h.step());
        float stepSize = (float) (h.lr() / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = 1f - h.lr() * h.weightDecay();
        float b1 = h.beta1();
        float b2 = h.beta2();
        float eps = h.eps();
        DType dt = param.dtype();
        Parallel.range(p.length, 1 << 13, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                float gi = g[e];
                float mi = b1 * mf[e] + (1 - b1) * gi;
                float vi = b2 * vf[e] + (1 - b2) * gi * gi;
                mf[e] = mi;
                vf[e] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                p[e] = LowPrecision.round(p[e] * decay - stepSize * mi / denom, dt);
            }
        });
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay) {
        float[] p = f(param);
        float[] g = f(grad);
        float[] buf = momentumBuffer == null ? null : f(momentumBuffer);
        DType dt = param.dtype();
        Parallel.range(p.length, 1 << 13, (lo, hi) -> {
            for (int e = lo; e < hi; e++) {
                float d = g[e] + weightDecay * p[e];
                if (buf != null) {
                    buf[e] = momentum * buf[e] + d;
                    d = buf[e];
                }
                p[e] = LowPrecision.round(p[e] - lr * d, dt);
            }
        });
    }
}
