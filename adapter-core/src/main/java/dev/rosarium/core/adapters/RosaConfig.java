package dev.rosarium.core.adapters;

/**
 * RoSA (Nikdan et al., ICML 2024) as peft-rosa defines it: LoRA ({@code r}, {@code alpha}, dropout)
 * plus a sparse adapter of density {@code d} per targeted layer, on a mask chosen from gradient
 * statistics ({@code gradAccMode}) collected for {@code spaNumGrads} optimizer steps after
 * {@code warmupSteps} LoRA-only steps (schedule {@code wl<N>}; {@code default} is {@code wl0}).
 * {@code r = 0} is SpA (sparse only), {@code d = 0} is plain LoRA.
 */
public record RosaConfig(int r, double alpha, double dropout, double density, TargetModules targets, int warmupSteps,
                         int spaNumGrads, GradientStatistics.Mode gradAccMode, Impl impl) {
    /** How the sparse part enters the forward pass. */
    public enum Impl {
        /** Add S into a dense copy of W, one GEMM (the authors' default for linear layers). */
        SP_ADD,
        /** Base GEMM plus a sparse-dense product. */
        SPMM
    }

    public RosaConfig {
        if (r < 0 || density < 0 || density > 1 || (r == 0 && density == 0) || spaNumGrads < 1 || warmupSteps < 0) {
            throw new IllegalArgumentException("RoSA needs r >= 0, 0 <= d <= 1 (not both 0), spaNumGrads >= 1");
        }
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
