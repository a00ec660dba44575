package dev.rosarium.core.quant;

import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.Arrays;

/**
 * A frozen weight held on its backend in bitsandbytes' NF4 layout with double quantization
 * ({@link Nf4}): half a byte per weight plus about 1.03 bytes per block of 64 for the absmaxes,
 * instead of two or four bytes per weight. It is dequantized for each use and the dense copy is
 * dropped right after, as QLoRA's and QRoSA's 4-bit bases are.
 */
public final class Nf4Weight implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int[] shape;
    private final Tensor packed;
    private final Tensor absmaxCodes;
    private final Tensor absmax2;
    private final float offset;

    private Nf4Weight(Backend backend, DType dtype, int[] shape, Tensor packed, Tensor absmaxCodes, Tensor absmax2,
                      float offset) {
        this.backend = backend;
        this.dtype = dtype;
        this.shape = shape;
        this.packed = packed;
        this.absmaxCodes = absmaxCodes;
        this.absmax2 = absmax2;
        this.offset = offset;
    }

    /**
     * Quantizes {@code dense} (which stays the caller's). Runs once per layer at load or merge, on
     * the host: the codes must be bitsandbytes' bit for bit, which the host codec is tested to give.
     */
    public static Nf4Weight quantize(Tensor dense) {
        Backend be = dense.backend();
        Nf4.Quantized q = Nf4.quantize(be.toFloats(dense));
        return new Nf4Weight(be, dense.dtype(), dense.shape(), be.fromInts(unsigned(q.packed()), DType.U8, q.packed().length),
                be.fromInts(unsigned(q.absmaxCodes()), DType.U8, q.absmaxCodes().length),
                be.fromFloats(q.absmax2(), DType.F32, q.absmax2().length), q.offset());
    }

    private static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    /** A fresh dense tensor of the weight in its original dtype and shape; the caller closes it. */
    public Tensor dequantize() {
        return backend.dequantizeNf4(packed, absmaxCodes, absmax2, offset, dtype, shape);
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Bytes this layout needs (codes, absmax codes, second-level absmaxes, offset). */
    public long bytes() {
        return packed.numel() + absmaxCodes.numel() + 4 * absmax2.numel() + 4;
    }

    @Override
    public void close() {
        packed.close();
        absmaxCodes.close();
        absmax2.close();
    }

    @Override
    public String toString() {
        return "Nf4Weight" + Arrays.toString(shape);
    }
}
