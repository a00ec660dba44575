package dev.rosarium.core.tensor;

/**
 * The primitive operations a device must provide to train a transformer with adapters.
 *
 * <p>Shaped so that a GPU can implement it without host round trips: every op takes and returns
 * tensors that live on this backend, outputs are freshly allocated unless the method says it
 * writes in place, and host copies happen only in the explicitly named transfer methods. Matrix
 * products follow BLAS's {@code C = alpha * op(A) op(B) + beta * C} so they map onto one cuBLAS
 * call; normalization, attention and cross-entropy are fused ops returning the statistics their
 * backward needs, as fused GPU kernels do. Random numbers come from a counter-based generator
 * (Philox 4x32-10) so every backend draws the same numbers from the same (seed, offset).
 *
 * <p>Low-precision floating tensors (BF16, F16) are stored in that precision; ops compute in
 * fp32 and round once when they write such an output.
 */
public interface Backend {

    String name();

    // ---- memory and transfers -------------------------------------------------------------

    /** A zero-filled tensor. */
    Tensor zeros(DType dtype, int... shape);

    /**
     * A tensor with unspecified contents, for an output the caller overwrites entirely (a product
     * with {@code beta = 0}); saves a GPU the memory pass of zeroing it. Defaults to {@link #zeros}.
     */
    default Tensor empty(DType dtype, int... shape) {
        return zeros(dtype, shape);
    }

    Tensor fromFloats(float[] data, DType dtype, int... shape);

    Tensor fromInts(int[] data, DType dtype, int... shape);

    float[] toFloats(Tensor t);

    int[] toInts(Tensor t);

    /** Copies {@code src} into {@code dst} (same element count), converting the dtype. */
    void copy(Tensor src, Tensor dst);

    /** A new tensor with {@code src}'s elements in {@code dtype}. */
    default Tensor cast(Tensor src, DType dtype) {
        Tensor out = zeros(dtype, src.shape());
        copy(src, out);
        return out;
    }

    default Tensor duplicate(Tensor src) {
        return cast(src, src.dtype());
    }

    /**
     * Dequantizes a 4-bit NormalFloat weight with double quantization, bitsandbytes' layout
     * ({@link dev.rosarium.core.quant.Nf4}): {@code packed} holds two U8 codes a byte (high nibble
     * first), {@code absmaxCodes} one U8 code per block of 64 into the signed dynamic map, and
     * {@code absmax2} one F32 scale per 256 blocks; {@code offset} is added back to every absmax.
     * The default goes through the host, which suits the CPU backend; a device backend overrides it
     * with a kernel.
     */
    default Tensor dequantizeNf4(Tensor packed, Tensor absmaxCodes, Tensor absmax2, float offset, DType dtype,
                                 int... shape) {
        int numel = Math.toIntExact(Shapes.numel(shape));
        float[] dense = dev.rosarium.core.quant.Nf4.dequantize(new dev.rosarium.core.quant.Nf4.Quantized(numel,
                bytes(toInts(packed)), bytes(toInts(absmaxCodes)), toFloats(absmax2), offset));
        return fromFloats(dense, dtype, shape);
    }

    private static byte[] bytes(int[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    void fill(Tensor t, float value);

    /** Frees the buffer of a tensor that is not a view. */
    void release(Tensor t);

    // ---- matrix products ------------------------------------------------------------------

    /**
     * {@code C = alpha * op(A) op(B) + beta * C}, where the last two dimensions of each operand are
     * the matrix and the leading ones a batch. {@code B} may have a batch of one, broadcast over
     * {@code A}'s batch. {@code op(X)} is X or its transpose; no transpose is ever materialized.
     */
    void gemm(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta);

    // ---- elementwise ----------------------------------------------------------------------

    /** {@code a op b}; {@code b}'s shape must equal {@code a}'s or a trailing part of it (a bias). */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    Tensor scale(Tensor a, float s);

    /** {@code y += alpha * x} in place (same element count). */
    void axpy(float alpha, Tensor x, Tensor y);

    Tensor unary(UnaryOp op, Tensor x);

    /** {@code dy * f'(x)}. */
    Tensor unaryBackward(UnaryOp op, Tensor x, Tensor dy);

    // ---- reductions -----------------------------------------------------------------------

    /** Sums {@code a} over its leading dimensions down to {@code trailingShape} (bias gradients). */
    Tensor sumToTrailing(Tensor a, int[] trailingShape);

    /** Sum of all elements, accumulated in double, as a one-element F32 tensor on this backend. */
    Tensor sumAll(Tensor a);

    /** Sum of squares of all elements, in double; a host read (gradient clipping needs the number). */
    double sumSquares(Tensor a);

    // ---- neural-network ops ---------------------------------------------------------------

    /** Softmax over the last dimension. */
    Tensor softmax(Tensor x);

    Tensor softmaxBackward(Tensor y, Tensor dy);

    /** Layer norm over the last dimension; {@code beta} may be null. */
    NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps);

    NormGrads layerNormBackward(Tensor x, Tensor gamma, NormResult saved, Tensor dy, boolean wantWeightGrads);

    /** RMS norm over the last dimension: {@code x / rms(x) * (offset + w)}. */
    NormResult rmsNorm(Tensor x, Tensor w, float eps, float weightOffset);

    NormGrads rmsNormBackward(Tensor x, Tensor w, NormResult saved, Tensor dy, float weightOffset, boolean wantWeightGrads);

    /**
     * Rotary embedding, half-split convention (pairs {@code (i, i + d/2)}), on {@code x} laid out
     * {@code (batch, seq, heads, headDim)}. {@code cos} and {@code sin} are {@code (maxPos, headDim/2)};
     * {@code positions} is I32 {@code (batch, seq)}. {@code inverse} rotates by the negative angle,
     * which is the backward.
     */
    Tensor rope(Tensor x, Tensor cos, Tensor sin, Tensor positions, boolean inverse);

    /** Rows of {@code table} at {@code ids} (I32, any shape); output shape ids.shape + [dim]. */
    Tensor embedding(Tensor table, Tensor ids);

    /** {@code dTable[ids[i]] += dOut[i]}, in place. */
    void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable);

    /** {@code dst[rows[i]] = src[i]} for rows of the last dimension, in place (KV-cache writes). */
    void indexCopy(Tensor src, Tensor rows, Tensor dst);

    /**
     * Per-row cross-entropy of {@code logits (n, vocab)} against I32 {@code targets (n)}; rows whose
     * target is {@code ignoreIndex} give loss 0. Returns the losses and the log-sum-exp per row.
     */
    CrossEntropyResult crossEntropy(Tensor logits, Tensor targets, int ignoreIndex);

    /** {@code dLogits = (softmax(logits) - onehot(target)) * dLoss[row]}, zero on ignored rows. */
    Tensor crossEntropyBackward(Tensor logits, Tensor targets, CrossEntropyResult saved, Tensor dLoss, int ignoreIndex);

    /**
     * Scaled dot-product attention on the {@code (batch, seq, heads, headDim)} layout, with
     * grouped-query attention when {@code k} and {@code v} have fewer heads than {@code q}. Optional
     * causal masking and a key padding mask (I32 {@code (batch, keySeq)}, 1 = attend, 0 = pad).
     */
    AttentionResult attention(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale);

    AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor keyMask, boolean causal, float scale,
                                     AttentionResult saved, Tensor dOut);

    /** Indices (I32) of the {@code k} largest elements of {@code x} flattened; ties go to the lower index. */
    Tensor topk(Tensor x, int k);

    // ---- sparse (CSR) ---------------------------------------------------------------------

    /**
     * {@code dense + S} as a new tensor, S given in CSR: I32 {@code rowOffs (n+1)}, I32 {@code colIdx (nnz)},
     * {@code values (nnz)}, columns ascending within a row (RoSA's {@code csr_add}).
     */
    Tensor csrAddDense(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense);

    /**
     * {@code dense += S} in place at S's non-zeros (CSR as in {@link #csrAddDense}), first saving the
     * elements it overwrites in {@code saved (nnz, dense's dtype)}: a product can then use
     * {@code W + S} without a dense copy, and {@link #csrRestore} puts {@code W} back bit-exactly.
     */
    void csrAddInPlace(Tensor values, Tensor rowOffs, Tensor colIdx, Tensor dense, Tensor saved);

    /** Writes {@code saved} back into {@code dense} at the non-zeros, undoing {@link #csrAddInPlace}. */
    void csrRestore(Tensor saved, Tensor rowOffs, Tensor colIdx, Tensor dense);

    /**
     * Sampled dense-dense product for a sparse weight's gradient: for each non-zero {@code (i, j)},
     * {@code out[k] = sum_t a[t, i] * b[t, j]} with {@code a (T, n)} and {@code b (T, m)}, i.e.
     * {@code a^T b} sampled on the mask, never materializing the dense {@code (n, m)} product.
     */
    Tensor sddmm(Tensor rowOffs, Tensor colIdx, Tensor a, Tensor b);

    /**
     * {@code x S^T} for {@code x (T, m)} and {@code S (n, m)} in CSR, or {@code x S} for {@code x (T, n)}
     * when {@code transposed} (the input gradient).
     */
    Tensor spmm(Tensor values, Tensor rowOffs, Tensor colIdx, int cols, Tensor x, boolean transposed);

    // ---- random numbers -------------------------------------------------------------------

    /** Fills with U[lo, hi) drawn from Philox(seed) at counters starting at {@code offset}. */
    void fillUniform(Tensor t, float lo, float hi, long seed, long offset);

    /** Fills with N(mean, std^2), Box-Muller over the same stream as {@link #fillUniform}. */
    void fillNormal(Tensor t, float mean, float std, long seed, long offset);

    // ---- optimizers -----------------------------------------------------------------------

    /** One fused AdamW step (decoupled weight decay) on a parameter and its fp32 moments. */
    void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h);

    /** One SGD step with momentum (buffer may be null when momentum is 0) and L2 weight decay. */
    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float weightDecay);

    /** Result of a normalization: the output and per-row statistics (mean may be null for RMS norm). */
    record NormResult(Tensor out, Tensor mean, Tensor rstd) {
    }

    /** Gradients of a normalization; weight gradients are null when not requested. */
    record NormGrads(Tensor dx, Tensor dWeight, Tensor dBias) {
    }

    record CrossEntropyResult(Tensor losses, Tensor logSumExp) {
    }

    /** Attention output and the per-(batch, head, query) log-sum-exp the backward reuses. */
    record AttentionResult(Tensor out, Tensor logSumExp) {
    }

    record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {
    }

    /**
     * Hyper-parameters of one AdamW step. {@code step} is 1-based and drives bias correction.
     */
    record AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
    }
}
