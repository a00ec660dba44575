package dev.rosarium.core.quant;

import java.util.Arrays;

/**
 * 4-bit NormalFloat with double quantization, laid out as bitsandbytes stores it (QLoRA / QRoSA
 * bases): blocks of 64 weights share an absmax; each weight is the index of the nearest of the 16
 * NF4 values to {@code w / absmax}, two per byte (even element in the high nibble). The absmaxes
 * are themselves quantized: minus their mean ({@code offset}), in blocks of 256, to 8-bit indices
 * into bitsandbytes' signed dynamic map, each block with its own fp32 absmax.
 */
public final class Nf4 {
    public static final int BLOCK = 64;
    public static final int BLOCK2 = 256;

    /** bitsandbytes' NF4 values (quantiles of N(0,1) scaled to [-1, 1]), as its kernels hard-code them. */
    public static final float[] CODE = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f,
        0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f};

    /** bitsandbytes' signed dynamic 8-bit map ({@code create_dynamic_map(signed=True)}), sorted. */
    public static final float[] DYNAMIC = dynamicMap();

    /** A quantized weight: packed codes, quantized absmaxes, their block absmaxes, and the offset. */
    public record Quantized(int numel, byte[] packed, byte[] absmaxCodes, float[] absmax2, float offset) {
    }

    private Nf4() {
    }

    /**
     * The map as bitsandbytes builds it, read from a resource written by its own
     * {@code create_dynamic_map(signed=True)}: that function rounds through torch's vectorized float32
     * linspace, whose last-bit choices an independent derivation does not reproduce, and the 8-bit
     * codes of the absmaxes must match bit for bit.
     */
    static float[] dynamicMap() {
        try (var in = Nf4.class.getResourceAsStream("bnb_dynamic_map.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource bnb_dynamic_map.txt is missing");
            }
            double[] values = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).mapToDouble(Double::parseDouble).toArray();
            if (values.length != 256) {
                throw new IllegalStateException("bnb_dynamic_map.txt holds " + values.length + " values, not 256");
            }
            float[] out = new float[256];
            for (int i = 0; i < 256; i++) {
                out[i] = (float) values[i];
            }
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static float[] dequantize(Quantized q) {
        float[] absmax = new float[(q.numel() + BLOCK - 1) / BLOCK];
        for (int i = 0; i < absmax.length; i++) {
            absmax[i] = DYNAMIC[q.absmaxCodes()[i] & 0xFF] * q.absmax2()[i / BLOCK2] + q.offset();
        }
        float[] out = new float[q.numel()];
        for (int i = 0; i < out.length; i++) {
            int b = q.packed()[i >> 1] & 0xFF;
            int code = (i & 1) == 0 ? b >> 4 : b & 0xF;
            out[i] = CODE[code] * absmax[i / BLOCK];
        }
        return out;
    }

    public static Quantized quantize(float[] w) {
        int blocks = (w.length + BLOCK - 1) / BLOCK;
        float[] absmax = new float[blocks];
        for (int i = 0; i < w.length; i++) {
            absmax[i / BLOCK] = Math.max(absmax[i / BLOCK], Math.abs(w[i]));
        }
        byte[] packed = new byte[(w.length + 1) / 2];
        for (int i = 0; i < w.length; i++) {
            float a = absmax[i / BLOCK];
            int code = nearest(CODE, a == 0f ? 0f : w[i] / a);
            packed[i >> 1] |= (byte) ((i & 1) == 0 ? code << 4 : code);
        }
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / blocks);
        int blocks2 = (blocks + BLOCK2 - 1) / BLOCK2;
        float[] absmax2 = new float[blocks2];
        for (int i = 0; i < blocks; i++) {
            absmax2[i / BLOCK2] = Math.max(absmax2[i / BLOCK2], Math.abs(absmax[i] - offset));
        }
        byte[] codes = new byte[blocks];
        for (int i = 0; i < blocks; i++) {
            float s = absmax2[i / BLOCK2];
            codes[i] = (byte) nearest(DYNAMIC, s == 0f ? 0f : (absmax[i] - offset) / s);
        }
        return new Quantized(w.length, packed, codes, absmax2, offset);
    }

    /** Index of the value of a sorted table nearest to {@code x}; ties go to the upper one. */
    static int nearest(float[] table, float x) {
        int pos = Arrays.binarySearch(table, x);
        if (pos >= 0) {
            return pos;
        }
        int hi = -pos - 1;
        if (hi == 0) {
            return 0;
        }
        if (hi == table.length) {
            return table.length - 1;
        }
        return x - table[hi - 1] < table[hi] - x ? hi - 1 : hi;
    }
}
