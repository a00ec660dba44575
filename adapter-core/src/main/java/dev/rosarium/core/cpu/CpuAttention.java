package dev.rosarium.core.cpu;

/**
 * Exact scaled dot-product attention on the (batch, seq, heads, headDim) layout, one
 * (batch, kv-head) group per task so grouped-query heads that share K and V never race when the
 * backward accumulates dK and dV. The forward keeps only the log-sum-exp per query; the backward
 * recomputes the probabilities from it, as FlashAttention does.
 */
final class CpuAttention {
    private CpuAttention() {
    }

    /** Dimensions of one attention call. */
    record Dims(int batch, int tq, int tk, int hq, int hkv, int d) {
        int group() {
            return hq / hkv;
        }

        int qIndex(int b, int t, int h) {
            return ((b * tq + t) * hq + h) * d;
        }

        int kIndex(int b, int s, int h) {
            return ((b * tk + s) * hkv + h) * d;
        }

        /** Last key a query may see: keys are the tail of a sequence whose last tq positions are queries. */
        int lastKey(int t, boolean causal) {
            return causal ? tk - tq + t : tk - 1;
        }
    }

    static void forward(Dims dm, float[] q, float[] k, float[] v, int[] keyMask, boolean causal, float scale,
                        float[] out, float[] lse) {
        Parallel.range(dm.batch() * dm.hkv(), 1, (lo, hi) -> {
            float[] p = new float[dm.tk()];
            for (int task = lo; task < hi; task++) {
                int b = task / dm.hkv();
                int hk = task % dm.hkv();
                for (int h = hk * dm.group(); h < (hk + 1) * dm.group(); h++) {
                    for (int t = 0; t < dm.tq(); t++) {
                        forwardRow(dm, q, k, v, keyMask, causal, scale, out, lse, p, b, hk, h, t);
                    }
                }
            }
        });
    }

    private static void forwardRow(Dims dm, float[] q, float[] k, float[] v, int[] keyMask, boolean causal,
                                   float scale, float[] out, float[] lse, float[] p, int b, int hk, int h, int t) {
        int d = dm.d();
        int qi = dm.qIndex(b, t, h);
        int last = dm.lastKey(t, causal);
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s <= last; s++) {
            if (keyMask != null && keyMask[b * dm.tk() + s] == 0) {
                p[s] = Float.NEGATIVE_INFINITY;
                continue;
            }
            p[s] = VectorMath.dot(q, qi, k, dm.kIndex(b, s, hk), d) * scale;
            max = Math.max(max, p[s]);
        }
        int li = (b * dm.hq() + h) * dm.tq() + t;
        if (max == Float.NEGATIVE_INFINITY) {
            // no visible key: the row outputs zeros and +inf makes the backward's probabilities 0
            java.util.Arrays.fill(out, qi, qi + d, 0f);
            lse[li] = Float.POSITIVE_INFINITY;
            return;
        }
        double sum = 0;
        for (int s = 0; s <= last; s++) {
            float e = (float) Math.exp(p[s] - max);
            p[s] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        java.util.Arrays.fill(out, qi, qi + d, 0f);
        for (int s = 0; s <= last; s++) {
            float w = p[s] * inv;
            if (w == 0f) {
                continue;
            }
            VectorMath.axpy(w, v, dm.kIndex(b, s, hk), out, qi, d);
        }
        lse[li] = (float) (max + Math.log(sum));
    }

    static void backward(Dims dm, float[] q, float[] k, float[] v, int[] keyMask, boolean causal, float scale,
                         float[] out, float[] lse, float[] dOut, float[] dq, float[] dk, float[] dv) {
        int d = dm.d();
        Parallel.range(dm.batch() * dm.hkv(), 1, (lo, hi) -> {
            float[] ds = new float[dm.tk()];
            for (int task = lo; task < hi; task++) {
                int b = task / dm.hkv();
                int hk = task % dm.hkv();
                for (int h = hk * dm.group(); h < (hk + 1) * dm.group(); h++) {
                    for (int t = 0; t < dm.tq(); t++) {
                        int qi = dm.qIndex(b, t, h);
                        float rowLse = lse[(b * dm.hq() + h) * dm.tq() + t];
                        if (rowLse == Float.POSITIVE_INFINITY) {
                            continue;
                        }
                        float delta = VectorMath.dot(dOut, qi, out, qi, d);
                        int last = dm.lastKey(t, causal);
                        for (int s = 0; s <= last; s++) {
                            if (keyMask != null && keyMask[b * dm.tk() + s] == 0) {
                                ds[s] = 0f;
                                continue;
                            }
                            int ki = dm.kIndex(b, s, hk);
                            float dot = VectorMath.dot(q, qi, k, ki, d);
                            float dp = VectorMath.dot(dOut, qi, v, ki, d);
                            float prob = (float) Math.exp(dot * scale - rowLse);
                            VectorMath.axpy(prob, dOut, qi, dv, ki, d);
                            ds[s] = prob * (dp - delta) * scale;
                        }
                        for (int s = 0; s <= last; s++) {
                            float g = ds[s];
                            if (g == 0f) {
                                continue;
                            }
                            int ki = dm.kIndex(b, s, hk);
                            VectorMath.axpy(g, k, ki, dq, qi, d);
                            VectorMath.axpy(g, q, qi, dk, ki, d);
                        }
                    }
                }
            }
        });
    }
}
