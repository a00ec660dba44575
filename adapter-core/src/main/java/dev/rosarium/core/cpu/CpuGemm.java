package dev.rosarium.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, {@code C = alpha * op(A) op(B) + beta * C}, blocked the way BLIS does it:
 * a KC-deep slice of op(B) is packed into NR-wide micro-panels and of op(A) into MR-tall ones, then
 * an MR x NR register-tiled micro-kernel (Vector API FMAs) sweeps them. Packing reads the operands
 * in whichever orientation they are stored, so transposed products never copy a whole matrix.
 *
 * <p>Threads split C into slabs along its longer side; each C element belongs to exactly one slab
 * and is accumulated in a fixed order, so results do not depend on scheduling.
 */
final class CpuGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 72;
    private static final int NC = 2048;
    /** Below this many multiply-adds the packing costs more than it saves. */
    private static final long SMALL = 16L * 16 * 16;

    private CpuGemm() {
    }

    /**
     * One matrix product on flat arrays with offsets. {@code a} is M x K (K x M if transA), {@code b}
     * is K x N (N x K if transB), {@code c} is M x N, all row-major and dense.
     */
    static void gemm(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                     float[] c, int cOff, int m, int n, int k, float alpha, float beta, boolean parallel) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scaleC(c, cOff, m * n, beta);
            return;
        }
        if ((long) m * n * k <= SMALL) {
            naive(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, alpha, beta);
            return;
        }
        if (m <= SKINNY_ROWS) {
            skinny(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, alpha, beta, parallel);
            return;
        }
        // One fork per product: each thread owns a slab of C along its longer side and runs the
        // whole blocked loop nest on it with private packing buffers. Waking pool threads costs
        // tens of microseconds, so forking per KC slice would eat small products alive.
        boolean splitN = n >= m;
        int panels = splitN ? (n + NR - 1) / NR : (m + MR - 1) / MR;
        int slabs = parallel ? Math.min(Parallel.threads(), panels) : 1;
        Operands op = new Operands(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, alpha, beta);
        Parallel.Range body = (lo, hi) -> {
            for (int slab = lo; slab < hi; slab++) {
                int from = (int) ((long) panels * slab / slabs);
                int to = (int) ((long) panels * (slab + 1) / slabs);
                if (splitN) {
                    blocked(op, 0, m, from * NR, Math.min(n, to * NR));
                } else {
                    blocked(op, from * MR, Math.min(m, to * MR), 0, n);
                }
            }
        };
        if (slabs > 1) {
            Parallel.range(slabs, 1, body);
        } else {
            body.run(0, 1);
        }
    }

    /** Up to this many rows of C (token-by-token decoding), packing B would cost more than the product. */
    private static final int SKINNY_ROWS = 8;

    /**
     * A few rows of C: stream B once, without packing, split over threads by columns. With B
     * transposed (the nn.Linear layout) each C element is a contiguous dot product; otherwise each
     * row of B is scaled into a contiguous row of C.
     */
    private static void skinny(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                               float[] c, int cOff, int m, int n, int k, float alpha, float beta, boolean parallel) {
        float[] rows = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                rows[i * k + p] = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
            }
        }
        Parallel.Range body = (lo, hi) -> {
            if (transB) {
                for (int j = lo; j < hi; j++) {
                    int bj = bOff + j * k;
                    for (int i = 0; i < m; i++) {
                        FloatVector acc = FloatVector.zero(S);
                        int p = 0;
                        for (; p + L <= k; p += L) {
                            acc = FloatVector.fromArray(S, rows, i * k + p).fma(FloatVector.fromArray(S, b, bj + p), acc);
                        }
                        float dot = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
                        for (; p < k; p++) {
                            dot += rows[i * k + p] * b[bj + p];
                        }
                        int ci = cOff + i * n + j;
                        c[ci] = alpha * dot + (beta == 0f ? 0f : beta * c[ci]);
                    }
                }
            } else {
                float[] acc = new float[hi - lo];
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(acc, 0f);
                    for (int p = 0; p < k; p++) {
                        float av = rows[i * k + p];
                        int bp = bOff + p * n + lo;
                        int j = 0;
                        FloatVector va = FloatVector.broadcast(S, av);
                        for (; j + L <= hi - lo; j += L) {
                            va.fma(FloatVector.fromArray(S, b, bp + j), FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
                        }
                        for (; j < hi - lo; j++) {
                            acc[j] += av * b[bp + j];
                        }
                    }
                    for (int j = lo; j < hi; j++) {
                        int ci = cOff + i * n + j;
                        c[ci] = alpha * acc[j - lo] + (beta == 0f ? 0f : beta * c[ci]);
                    }
                }
            }
        };
        if (parallel) {
            Parallel.range(n, 64, body);
        } else {
            body.run(0, n);
        }
    }

    /** The operands of one product, so the blocked loop takes them as one argument. */
    private record Operands(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                            float[] c, int cOff, int m, int n, int k, float alpha, float beta) {
    }

    /** Packing buffers, reused per thread: A is MC x KC, B is KC x NC. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {
        new float[MC * KC], new float[KC * ((NC + NR - 1) / NR) * NR], new float[MR * NR]});

    /** The BLIS loop nest over rows [i0, i1) and columns [j0, j1) of C. */
    private static void blocked(Operands o, int i0, int i1, int j0, int j1) {
        float[][] buf = BUFFERS.get();
        float[] ap = buf[0];
        float[] bp = buf[1];
        float[] tmp = buf[2];
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < o.k(); pc += KC) {
                int kc = Math.min(KC, o.k() - pc);
                boolean first = pc == 0;
                packB(o.b(), o.bOff(), o.transB(), o.k(), o.n(), pc, kc, jc, nc, bp, 0, nPanels);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    packA(o.a(), o.aOff(), o.transA(), o.m(), o.k(), pc, kc, ic, mc, ap);
                    for (int jr = 0; jr < nPanels; jr++) {
                        int j = jc + jr * NR;
                        int nr = Math.min(NR, jc + nc - j);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            kernel(ap, (ir / MR) * MR * kc, bp, jr * NR * kc, kc, o.c(), o.cOff() + (ic + ir) * o.n() + j,
                                    o.n(), mr, nr, o.alpha(), first, o.beta(), tmp);
                        }
                    }
                }
            }
        }
    }

    private static void scaleC(float[] c, int off, int len, float beta) {
        for (int i = off; i < off + len; i++) {
            c[i] = beta == 0f ? 0f : beta * c[i];
        }
    }

    private static void naive(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                              float[] c, int cOff, int m, int n, int k, float alpha, float beta) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    float bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    s += av * bv;
                }
                int ci = cOff + i * n + j;
                c[ci] = alpha * s + (beta == 0f ? 0f : beta * c[ci]);
            }
        }
    }

    /** Packs rows [ic, ic+mc) of op(A)[:, pc:pc+kc] as MR-tall column-interleaved panels. */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int pc, int kc, int ic, int mc,
                              float[] ap) {
        int panels = (mc + MR - 1) / MR;
        for (int panel = 0; panel < panels; panel++) {
            int base = panel * MR * kc;
            for (int r = 0; r < MR; r++) {
                int i = ic + panel * MR + r;
                if (i >= ic + mc) {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = 0f;
                    }
                } else if (transA) {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = a[aOff + (pc + p) * m + i];
                    }
                } else {
                    int src = aOff + i * k + pc;
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = a[src + p];
                    }
                }
            }
        }
    }

    /** Packs columns of op(B)[pc:pc+kc, jc:jc+nc] as NR-wide row-interleaved panels. */
    private static void packB(float[] b, int bOff, boolean transB, int k, int n, int pc, int kc, int jc, int nc,
                              float[] bp, int panelLo, int panelHi) {
        for (int panel = panelLo; panel < panelHi; panel++) {
            int base = panel * NR * kc;
            int j0 = jc + panel * NR;
            int width = Math.min(NR, jc + nc - j0);
            if (transB) {
                for (int col = 0; col < NR; col++) {
                    if (col >= width) {
                        for (int p = 0; p < kc; p++) {
                            bp[base + p * NR + col] = 0f;
                        }
                    } else {
                        int src = bOff + (j0 + col) * k + pc;
                        for (int p = 0; p < kc; p++) {
                            bp[base + p * NR + col] = b[src + p];
                        }
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (pc + p) * n + j0;
                    int dst = base + p * NR;
                    System.arraycopy(b, src, bp, dst, width);
                    for (int col = width; col < NR; col++) {
                        bp[dst + col] = 0f;
                    }
                }
            }
        }
    }

    private static void kernel(float[] ap, int aOff, float[] bp, int bOff, int kc, float[] c, int cOff, int ldc,
                               int mr, int nr, float alpha, boolean first, float beta, float[] tmp) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            // indices recomputed from p (not incremented) keep C2's bounds-check elimination happy
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        // Spill the tile once and combine from memory: passing the accumulators to a helper would
        // box them whenever C2 declines to inline, which costs more than these 12 stores.
        c00.intoArray(tmp, 0);
        c01.intoArray(tmp, L);
        c10.intoArray(tmp, NR);
        c11.intoArray(tmp, NR + L);
        c20.intoArray(tmp, 2 * NR);
        c21.intoArray(tmp, 2 * NR + L);
        c30.intoArray(tmp, 3 * NR);
        c31.intoArray(tmp, 3 * NR + L);
        c40.intoArray(tmp, 4 * NR);
        c41.intoArray(tmp, 4 * NR + L);
        c50.intoArray(tmp, 5 * NR);
        c51.intoArray(tmp, 5 * NR + L);
        if (mr == MR && nr == NR) {
            for (int r = 0; r < MR; r++) {
                for (int h = 0; h < NR; h += L) {
                    int ci = cOff + r * ldc + h;
                    FloatVector v = FloatVector.fromArray(S, tmp, r * NR + h);
                    if (alpha != 1f) {
                        v = v.mul(alpha);
                    }
                    if (!first) {
                        v = v.add(FloatVector.fromArray(S, c, ci));
                    } else if (beta != 0f) {
                        v = v.add(FloatVector.fromArray(S, c, ci).mul(beta));
                    }
                    v.intoArray(c, ci);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            for (int col = 0; col < nr; col++) {
                int ci = cOff + r * ldc + col;
                float v = alpha * tmp[r * NR + col];
                if (first) {
                    c[ci] = beta == 0f ? v : v + beta * c[ci];
                } else {
                    c[ci] += v;
                }
            }
        }
    }
}
