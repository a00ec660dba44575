package dev.rosarium.core.tensor;

/**
 * Philox 4x32-10 (Salmon et al., SC'11), the counter-based generator cuRAND and PyTorch's CUDA
 * generator use. A number is a pure function of (seed, counter), so any backend, and any thread
 * order, draws the same stream: element {@code i} of a fill at {@code offset} uses counter block
 * {@code (offset + i) / 4}, lane {@code (offset + i) % 4}.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final float INV_2_24 = 1.0f / (1 << 24);

    private Philox() {
    }

    /** The four 32-bit outputs for counter block {@code block} under {@code seed}. */
    public static void block(long seed, long block, int[] out) {
        int c0 = (int) block;
        int c1 = (int) (block >>> 32);
        int c2 = 0;
        int c3 = 0;
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /**
     * A key for an independent stream, mixed from a base seed and any identifying numbers (step,
     * site, name hash) with splitmix64's finalizer, which spreads every input bit over the output.
     */
    public static long deriveKey(long seed, long... parts) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (long p : parts) {
            h = mix(h ^ p);
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Maps a 32-bit draw to [0, 1) with 24 bits of precision. */
    public static float toUnit(int bits) {
        return (bits >>> 8) * INV_2_24;
    }

    /** Maps a 32-bit draw to (0, 1], safe for a logarithm. */
    public static float toUnitOpenZero(int bits) {
        return ((bits >>> 8) + 1) * INV_2_24;
    }

    /** Fills {@code dst[from, to)} with U[0,1) for stream positions {@code offset + from ...}. */
    public static void uniform(long seed, long offset, float[] dst, int from, int to) {
        int[] r = new int[4];
        long cached = -1;
        for (int i = from; i < to; i++) {
            long pos = offset + i;
            long blk = pos >>> 2;
            if (blk != cached) {
                block(seed, blk, r);
                cached = blk;
            }
            dst[i] = toUnit(r[(int) (pos & 3)]);
        }
    }

    /**
     * Fills {@code dst[from, to)} with standard normals: stream position p uses block p/2 and
     * Box-Muller on its first two lanes, taking the cosine branch for even p and the sine for odd.
     */
    public static void normal(long seed, long offset, float[] dst, int from, int to) {
        int[] r = new int[4];
        for (int i = from; i < to; i++) {
            long pos = offset + i;
            block(seed, pos >>> 1, r);
            double u1 = toUnitOpenZero(r[0]);
            double u2 = toUnit(r[1]);
            double rad = Math.sqrt(-2.0 * Math.log(u1));
            double ang = 2.0 * Math.PI * u2;
            dst[i] = (float) (rad * ((pos & 1) == 0 ? Math.cos(ang) : Math.sin(ang)));
        }
    }
}
