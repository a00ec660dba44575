package dev.rosarium.core.tensor;

/**
 * The geometry of {@link Backend#gemm}: {@code C (batch, m, n) = op(A) (batch, m, k) op(B) (batchB, k, n)},
 * checked once for every backend.
 */
public record GemmShape(int m, int n, int k, int batch, int batchB) {

    /** The shapes of a product, or an error naming the three operands when they do not agree. */
    public static GemmShape of(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
        if (a.rank() < 2 || b.rank() < 2 || c.rank() < 2) {
            throw new IllegalArgumentException("gemm needs matrices, got " + a + ", " + b + ", " + c);
        }
        int m = transA ? a.dim(-1) : a.dim(-2);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2);
        int n = transB ? b.dim(-2) : b.dim(-1);
        int batch = Shapes.leading(a.shape(), 2);
        int batchB = Shapes.leading(b.shape(), 2);
        if (k != kb || c.dim(-2) != m || c.dim(-1) != n || Shapes.leading(c.shape(), 2) != batch
                || (batchB != batch && batchB != 1)) {
            throw new IllegalArgumentException("gemm shapes do not agree: A" + Shapes.str(a.shape())
                    + (transA ? "^T" : "") + " B" + Shapes.str(b.shape()) + (transB ? "^T" : "")
                    + " C" + Shapes.str(c.shape()));
        }
        return new GemmShape(m, n, k, batch, batchB);
    }
}
