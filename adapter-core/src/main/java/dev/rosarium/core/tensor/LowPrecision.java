package dev.rosarium.core.tensor;

/** Bit-exact conversions between fp32 and the 16-bit float formats (round to nearest even). */
public final class LowPrecision {
    private LowPrecision() {
    }

    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040); // quiet NaN, sign kept
        }
        int lsb = (bits >>> 16) & 1;
        bits += 0x7FFF + lsb;
        return (short) (bits >>> 16);
    }

    public static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    public static float roundBf16(float f) {
        return fromBf16(toBf16(f));
    }

    public static short toF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            // subnormal: shift the implicit-one mantissa and round to nearest even
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = 1 << (shift - 1);
            int rounded = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            if (rem > half || (rem == half && (rounded & 1) == 1)) {
                rounded++;
            }
            return (short) (sign | rounded);
        }
        int rounded = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (rounded & 1) == 1)) {
            rounded++; // may carry into the exponent, which is the correct result (up to inf)
        }
        return (short) (sign | rounded);
    }

    public static float fromF16(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * (1.0f / (1 << 24));
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    public static float roundF16(float f) {
        return fromF16(toF16(f));
    }

    /** Rounds {@code f} to the nearest value representable in {@code dtype}. */
    public static float round(float f, DType dtype) {
        switch (dtype) {
            case BF16:
                return roundBf16(f);
            case F16:
                return roundF16(f);
            default:
                return f;
        }
    }
}
