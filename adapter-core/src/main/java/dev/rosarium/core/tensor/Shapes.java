package dev.rosarium.core.tensor;

import java.util.Arrays;

/** Small helpers for shapes (int arrays, row-major, outermost dimension first). */
public final class Shapes {
    private Shapes() {
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Product of all dimensions but the last {@code trailing}. */
    public static int leading(int[] shape, int trailing) {
        long n = 1;
        for (int i = 0; i < shape.length - trailing; i++) {
            n *= shape[i];
        }
        return Math.toIntExact(n);
    }

    public static int last(int[] shape) {
        return shape[shape.length - 1];
    }

    /** Fails unless {@code b} is a trailing part of {@code a} (the broadcast binary ops allow). */
    public static void checkTrailing(String op, int[] a, int[] b) {
        boolean trailing = b.length <= a.length && Arrays.equals(b, Arrays.copyOfRange(a, a.length - b.length, a.length));
        if (!trailing) {
            throw new IllegalArgumentException(op + ": shape " + str(b) + " does not broadcast to " + str(a));
        }
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Replaces one -1 entry by the size that makes the element count match. */
    public static int[] inferReshape(long numel, int[] shape) {
        int[] out = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("more than one -1 in reshape " + str(shape));
                }
                infer = i;
            } else {
                known *= out[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + str(shape));
            }
            out[infer] = (int) (numel / known);
        }
        if (numel(out) != numel) {
            throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + str(shape));
        }
        return out;
    }
}
