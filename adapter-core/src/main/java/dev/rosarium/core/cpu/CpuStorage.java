package dev.rosarium.core.cpu;

/**
 * A CPU tensor's buffer: floating dtypes live in a float array (values already rounded to the
 * dtype's precision), integer and boolean dtypes in an int array.
 */
final class CpuStorage {
    final float[] f;
    final int[] i;

    private CpuStorage(float[] f, int[] i) {
        this.f = f;
        this.i = i;
    }

    static CpuStorage ofFloats(float[] f) {
        return new CpuStorage(f, null);
    }

    static CpuStorage ofInts(int[] i) {
        return new CpuStorage(null, i);
    }
}
