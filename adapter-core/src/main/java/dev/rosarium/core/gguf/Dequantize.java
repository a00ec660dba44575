package dev.rosarium.core.gguf;

import dev.rosarium.core.tensor.LowPrecision;

import java.nio.ByteBuffer;

/**
 * Block dequantization of ggml's formats into fp32, element order as stored (row-major, rows of
 * ne0 elements). Layouts follow ggml's block structs: a half-precision scale (and minimum) then
 * packed quants; the K-quants group 256 elements with 6-bit sub-block scales.
 */
final class Dequantize {
    private Dequantize() {
    }

    static void run(GgmlType type, ByteBuffer b, float[] out) {
        switch (type) {
            case F32:
                b.asFloatBuffer().get(out);
                break;
            case F16:
                for (int i = 0; i < out.length; i++) {
                    out[i] = LowPrecision.fromF16(b.getShort(2 * i));
                }
                break;
            case BF16:
                for (int i = 0; i < out.length; i++) {
                    out[i] = LowPrecision.fromBf16(b.getShort(2 * i));
                }
                break;
            case Q4_0:
                for (int blk = 0; blk < out.length / 32; blk++) {
                    int o = blk * 18;
                    float d = LowPrecision.fromF16(b.getShort(o));
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(o + 2 + j) & 0xFF;
                        out[blk * 32 + j] = ((q & 0xF) - 8) * d;
                        out[blk * 32 + j + 16] = ((q >> 4) - 8) * d;
                    }
                }
                break;
            case Q4_1:
                for (int blk = 0; blk < out.length / 32; blk++) {
                    int o = blk * 20;
                    float d = LowPrecision.fromF16(b.getShort(o));
                    float m = LowPrecision.fromF16(b.getShort(o + 2));
                    for (int j = 0; j < 16; j++) {
                        int q = b.get(o + 4 + j) & 0xFF;
                        out[blk * 32 + j] = (q & 0xF) * d + m;
                        out[blk * 32 + j + 16] = (q >> 4) * d + m;
                    }
                }
                break;
            case Q8_0:
                for (int blk = 0; blk < out.length / 32; blk++) {
                    int o = blk * 34;
                    float d = LowPrecision.fromF16(b.getShort(o));
                    for (int j = 0; j < 32; j++) {
                        out[blk * 32 + j] = b.get(o + 2 + j) * d;
                    }
                }
                break;
            case Q4_K:
                q4k(b, out);
                break;
            case Q6_K:
                q6k(b, out);
                break;
            default:
                throw new IllegalArgumentException("no dequantizer for " + type);
        }
    }

    /** Q4_K: d, dmin (f16), 12 bytes of packed 6-bit scales and mins for 8 sub-blocks, 128 bytes of nibbles. */
    private static void q4k(ByteBuffer b, float[] out) {
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int blk = 0; blk < out.length / 256; blk++) {
            int o = blk * 144;
            float d = LowPrecision.fromF16(b.getShort(o));
            float dmin = LowPrecision.fromF16(b.getShort(o + 2));
            int s = o + 4;
            for (int j = 0; j < 8; j++) {
                if (j < 4) {
                    sc[j] = b.get(s + j) & 63;
                    mn[j] = b.get(s + j + 4) & 63;
                } else {
                    sc[j] = (b.get(s + j + 4) & 0xF) | (((b.get(s + j - 4) & 0xFF) >> 6) << 4);
                    mn[j] = ((b.get(s + j + 4) & 0xFF) >> 4) | (((b.get(s + j) & 0xFF) >> 6) << 4);
                }
            }
            int q = o + 16;
            int y = blk * 256;
            for (int j = 0; j < 4; j++) {
                float d1 = d * sc[2 * j];
                float m1 = dmin * mn[2 * j];
                float d2 = d * sc[2 * j + 1];
                float m2 = dmin * mn[2 * j + 1];
                for (int l = 0; l < 32; l++) {
                    out[y + l] = d1 * (b.get(q + l) & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    out[y + 32 + l] = d2 * ((b.get(q + l) & 0xFF) >> 4) - m2;
                }
                q += 32;
                y += 64;
            }
        }
    }

    /** Q6_K: 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, then d (f16). */
    private static void q6k(ByteBuffer b, float[] out) {
        for (int blk = 0; blk < out.length / 256; blk++) {
            int o = blk * 210;
            float d = LowPrecision.fromF16(b.getShort(o + 208));
            for (int n = 0; n < 2; n++) {
                int ql = o + n * 64;
                int qh = o + 128 + n * 32;
                int sc = o + 192 + n * 8;
                int y = blk * 256 + n * 128;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = b.get(qh + l) & 0xFF;
                    int q1 = ((b.get(ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((b.get(ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = (((b.get(ql + l) & 0xFF) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = (((b.get(ql + l + 32) & 0xFF) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    out[y + l] = d * b.get(sc + is) * q1;
                    out[y + l + 32] = d * b.get(sc + is + 2) * q2;
                    out[y + l + 64] = d * b.get(sc + is + 4) * q3;
                    out[y + l + 96] = d * b.get(sc + is + 6) * q4;
                }
            }
        }
    }
}
