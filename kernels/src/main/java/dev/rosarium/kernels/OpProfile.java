package dev.rosarium.kernels;

import org.bytedeco.cuda.global.cudart;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Device time per kernel and library call, for finding where a training step goes. Enabled with
 * {@code -Drosarium.cuda.profile=true}: each call is then bracketed by device synchronizations,
 * which serializes the stream (steps run slower), so use it for the breakdown, never for the
 * throughput number.
 */
public final class OpProfile {
    static final boolean ENABLED = Boolean.getBoolean("rosarium.cuda.profile");
    private static final Map<String, long[]> TOTALS = new LinkedHashMap<>();

    private OpProfile() {
    }

    static long begin() {
        if (!ENABLED) {
            return 0;
        }
        cudart.cudaDeviceSynchronize();
        return System.nanoTime();
    }

    static void end(String name, long t0) {
        if (!ENABLED) {
            return;
        }
        cudart.cudaDeviceSynchronize();
        long[] acc = TOTALS.computeIfAbsent(name, k -> new long[2]);
        acc[0] += System.nanoTime() - t0;
        acc[1]++;
    }

    public static void reset() {
        TOTALS.clear();
    }

    /** A table of the calls since the last reset, the costliest first, with milliseconds per step. */
    public static String table(int steps) {
        long total = TOTALS.values().stream().mapToLong(a -> a[0]).sum();
        StringBuilder sb = new StringBuilder("| call | calls/step | ms/step | share |\n|---|---|---|---|\n");
        TOTALS.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                .forEach(e -> sb.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.1f%% |%n", e.getKey(),
                        e.getValue()[1] / steps, e.getValue()[0] / 1e6 / steps, 100.0 * e.getValue()[0] / total)));
        sb.append(String.format(Locale.ROOT, "| total | | %.2f | |%n", total / 1e6 / steps));
        return sb.toString();
    }
}
