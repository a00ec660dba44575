package dev.rosarium.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, {@code C = alpha * op(A) op(B) + beta * C}, blocked the way BLIS does it:
 * a KC-deep slice of op(B) is packed into NR-wide micro-panels and of op(A) into MR-tall ones, then
 * an MR x NR register-tiled micro-kernel (Vector API FMAs) sweeps them. Packing reads the operands
 * in whichever orientation they are stored, so transposed products never copy a whole matrix.
 *
 * <p>Work is split over (MC-block, NR-panel group) tiles; each C element belongs to exactly one
 * tile and is accumulated in a fixed order, so results do not depend on scheduling.
 */
final class CpuGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int MR = 6;
    static final int NR = 2 * L;
    private static final int KC = 256;
    private static final int MC = 72;
    private static final int NC = 3072;
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
        int mPanels = (m + MR - 1) / MR;
        float[] ap = new float[mPanels * MR * KC];
        float[] bp = new float[((Math.min(n, NC) + NR - 1) / NR) * NR * KC];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int nPanels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                int jcf = jc;
                int pcf = pc;
                runMaybeParallel(parallel, nPanels, 4,
                        (lo, hi) -> packB(b, bOff, transB, k, n, pcf, kc, jcf, nc, bp, lo, hi));
                runMaybeParallel(parallel, mPanels, 4,
                        (lo, hi) -> packA(a, aOff, transA, m, k, pcf, kc, ap, lo, hi));
                boolean first = pc == 0;
                int mBlocks = (m + MC - 1) / MC;
                int groups = Math.max(1, Math.min(nPanels, (4 * Parallel.threads() + mBlocks - 1) / mBlocks));
                int units = mBlocks * groups;
                runMaybeParallel(parallel, units, 1, (lo, hi) -> {
                    float[] tmp = new float[MR * NR];
                    for (int u = lo; u < hi; u++) {
                        int ib = u / groups;
                        int g = u % groups;
                        int jrFrom = nPanels * g / groups;
                        int jrTo = nPanels * (g + 1) / groups;
                        int i0 = ib * MC;
                        int i1 = Math.min(m, i0 + MC);
                        for (int jr = jrFrom; jr < jrTo; jr++) {
                            int j = jcf + jr * NR;
                            int nr = Math.min(NR, jcf + nc - j);
                            for (int i = i0; i < i1; i += MR) {
                                int mr = Math.min(MR, m - i);
                                kernel(ap, (i / MR) * MR * kc, bp, jr * NR * kc, kc, c, cOff + i * n + j, n,
                                        mr, nr, alpha, first, beta, tmp);
                            }
                        }
                    }
                });
            }
        }
    }

    private static void runMaybeParallel(boolean parallel, int n, int grain, Parallel.Range body) {
        if (parallel) {
            Parallel.range(n, grain, body);
        } else if (n > 0) {
            body.run(0, n);
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

    /** Packs rows [panelLo*MR, panelHi*MR) of op(A)[:, pc:pc+kc] as MR-tall column-interleaved panels. */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int pc, int kc,
                              float[] ap, int panelLo, int panelHi) {
        for (int panel = panelLo; panel < panelHi; panel++) {
            int base = panel * MR * kc;
            int i0 = panel * MR;
            for (int r = 0; r < MR; r++) {
                int i = i0 + r;
                if (i >= m) {
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
        int ai = aOff;
        int bi = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            ai += MR;
            bi += NR;
        }
        if (mr == MR && nr == NR) {
            store(c, cOff, c00, c01, alpha, first, beta);
            store(c, cOff + ldc, c10, c11, alpha, first, beta);
            store(c, cOff + 2 * ldc, c20, c21, alpha, first, beta);
            store(c, cOff + 3 * ldc, c30, c31, alpha, first, beta);
            store(c, cOff + 4 * ldc, c40, c41, alpha, first, beta);
            store(c, cOff + 5 * ldc, c50, c51, alpha, first, beta);
            return;
        }
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

    private static void store(float[] c, int off, FloatVector lo, FloatVector hi, float alpha, boolean first,
                              float beta) {
        FloatVector vlo = alpha == 1f ? lo : lo.mul(alpha);
        FloatVector vhi = alpha == 1f ? hi : hi.mul(alpha);
        if (!first) {
            vlo = vlo.add(FloatVector.fromArray(S, c, off));
            vhi = vhi.add(FloatVector.fromArray(S, c, off + L));
        } else if (beta != 0f) {
            vlo = FloatVector.fromArray(S, c, off).mul(beta).add(vlo);
            vhi = FloatVector.fromArray(S, c, off + L).mul(beta).add(vhi);
        }
        vlo.intoArray(c, off);
        vhi.intoArray(c, off + L);
    }
}
