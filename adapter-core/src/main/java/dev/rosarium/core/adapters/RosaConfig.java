package dev.rosarium.core.adapters;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * RoSA (Nikdan et al., ICML 2024) as peft-rosa defines it: LoRA ({@code r}, {@code alpha}, dropout)
 * plus a sparse adapter of density {@code d} per targeted layer, on a mask chosen from gradient
 * statistics ({@code gradAccMode}) collected for {@code spaNumGrads} optimizer steps after
 * {@code warmupSteps} LoRA-only steps (schedule {@code wl<N>}; {@code default} is {@code wl0}).
 * {@code r = 0} is SpA (sparse only), {@code d = 0} is plain LoRA. {@code densityPattern} gives some
 * modules their own density, keyed as peft's {@code density_pattern}: a key matches a module whose
 * path ends with it at a dot boundary (a regex is allowed), the first matching key wins.
 */
public record RosaConfig(int r, double alpha, double dropout, double density, TargetModules targets, int warmupSteps,
                         int spaNumGrads, GradientStatistics.Mode gradAccMode, Impl impl,
                         Map<String, Double> densityPattern) {
    /** How the sparse part enters the forward pass. */
    public enum Impl {
        /** Add S into a dense copy of W, one GEMM (the authors' default for linear layers). */
        SP_ADD,
        /** Base GEMM plus a sparse-dense product. */
        SPMM
    }

    public RosaConfig {
        densityPattern = densityPattern == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(densityPattern));
        boolean sparse = density > 0 || densityPattern.values().stream().anyMatch(v -> v > 0);
        if (r < 0 || density < 0 || density > 1 || (r == 0 && !sparse) || spaNumGrads < 1 || warmupSteps < 0) {
            throw new IllegalArgumentException("RoSA needs r >= 0, 0 <= d <= 1 (not both 0), spaNumGrads >= 1");
        }
        for (Map.Entry<String, Double> e : densityPattern.entrySet()) {
            if (!(e.getValue() >= 0 && e.getValue() <= 1)) {
                throw new IllegalArgumentException("density_pattern." + e.getKey() + " = " + e.getValue()
                        + " is not within [0, 1]");
            }
        }
    }

    /** One density for every targeted module. */
    public RosaConfig(int r, double alpha, double dropout, double density, TargetModules targets, int warmupSteps,
                      int spaNumGrads, GradientStatistics.Mode gradAccMode, Impl impl) {
        this(r, alpha, dropout, density, targets, warmupSteps, spaNumGrads, gradAccMode, impl, Map.of());
    }

    /** The density of {@code module}: its pattern entry if one matches, else {@code density}. */
    public double densityFor(String module) {
        for (Map.Entry<String, Double> e : densityPattern.entrySet()) {
            if (Pattern.matches("(.*\\.)?(" + e.getKey() + ")", module)) {
                return e.getValue();
            }
        }
        return density;
    }

    /** True when some module gets a sparse adapter. */
    public boolean hasSparse() {
        return density > 0 || densityPattern.values().stream().anyMatch(v -> v > 0);
    }

    public double scaling() {
        return r == 0 ? 1.0 : alpha / r;
    }

    /** Parses a peft-rosa schedule name: {@code default}, {@code wl<N>}, {@code spa_only}, {@code lora_only}. */
    public static int warmupStepsOf(String schedule) {
        if (schedule.equals("default") || schedule.equals("df") || schedule.equals("spa_only")
                || schedule.equals("lora_only")) {
            return 0;
        }
        if (schedule.matches("wl\\d+")) {
            return Integer.parseInt(schedule.substring(2));
        }
        throw new IllegalArgumentException("unknown RoSA schedule '" + schedule + "' (default, wl<N>, spa_only, lora_only)");
    }
}
