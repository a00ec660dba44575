package dev.rosarium.core.cpu;

/** The error function in double precision (Java's Math has none). */
final class Erf {
    private Erf() {
    }

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            // Maclaurin series; at |x| < 3 the largest term is ~1e3, so ~13 digits survive cancellation
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double erfc = erfcLarge(ax);
        return x > 0 ? 1 - erfc : erfc - 1;
    }

    /** erfc(x) for x >= 3 by its continued fraction, evaluated from the tail. */
    private static double erfcLarge(double x) {
        double f = x;
        for (int n = 60; n >= 1; n--) {
            f = x + (n / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
