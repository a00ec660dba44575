package dev.rosarium.core.linalg;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Thin SVD {@code W = U diag(S) Vt} with singular values in descending order, computed in double
 * precision on the host (EJML) and returned as F32 tensors on W's backend. ROSA needs one per
 * adapted matrix at each resample, which is rare enough that host precision beats device speed.
 */
public final class ThinSvd {
    /** {@code u (m, k)}, {@code s (k)}, {@code vt (k, n)} with {@code k = min(m, n)}. */
    public record Result(Tensor u, Tensor s, Tensor vt) {
    }

    private ThinSvd() {
    }

    public static Result of(Tensor w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException("SVD of a matrix, got " + w);
        }
        int m = w.dim(0);
        int n = w.dim(1);
        int k = Math.min(m, n);
        float[] data = w.toFloats();
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int i = 0; i < data.length; i++) {
            a.data[i] = data[i];
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, true);
        if (!svd.decompose(a)) {
            throw new ArithmeticException("SVD did not converge for a " + m + "x" + n + " matrix");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj vt = svd.getV(null, true);
        double[] sv = svd.getSingularValues();
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(sv[y], sv[x]));
        float[] uf = new float[m * k];
        float[] sf = new float[k];
        float[] vf = new float[k * n];
        for (int c = 0; c < k; c++) {
            int src = order[c];
            sf[c] = (float) sv[src];
            for (int i = 0; i < m; i++) {
                uf[i * k + c] = (float) u.get(i, src);
            }
            for (int j = 0; j < n; j++) {
                vf[c * n + j] = (float) vt.get(src, j);
            }
        }
        Backend be = w.backend();
        return new Result(be.fromFloats(uf, DType.F32, m, k), be.fromFloats(sf, DType.F32, k),
                be.fromFloats(vf, DType.F32, k, n));
    }

    /** Largest |W - U diag(S) Vt| entry, in double; for checks. */
    public static double reconstructionError(Tensor w, Result r) {
        int m = w.dim(0);
        int n = w.dim(1);
        int k = r.s().dim(0);
        float[] u = r.u().toFloats();
        float[] s = r.s().toFloats();
        float[] vt = r.vt().toFloats();
        DMatrixRMaj us = new DMatrixRMaj(m, k);
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                us.set(i, c, (double) u[i * k + c] * s[c]);
            }
        }
        DMatrixRMaj v = new DMatrixRMaj(k, n);
        for (int i = 0; i < vt.length; i++) {
            v.data[i] = vt[i];
        }
        DMatrixRMaj prod = new DMatrixRMaj(m, n);
        CommonOps_DDRM.mult(us, v, prod);
        float[] wf = w.toFloats();
        double max = 0;
        for (int i = 0; i < wf.length; i++) {
            max = Math.max(max, Math.abs(wf[i] - prod.data[i]));
        }
        return max;
    }
}
