package dev.rosarium.core.adapters;

/**
 * A method and its hyper-parameters as a user writes them (command line, sweep spec); each method
 * reads the fields it uses into its own config record.
 *
 * @param method       full, lora, spa, rosa, qrosa (RoSA on an NF4 base), subspace (ROSA) or roselora
 * @param targets      comma-separated module names, {@code all-linear}, or {@code re:<regex>}
 * @param loraLr       learning rate of low-rank factors (RoSA's LORA_LR); the run's lr drives the rest
 * @param warmupSteps  RoSA: LoRA-only steps before the mask statistics (schedule wl<N>)
 * @param resampleEvery ROSA: optimizer steps between subspace resamples (0: never)
 * @param tau          RoseLoRA: final keep-rate; {@code ti}, {@code te}: schedule start and end steps
 *                     (negative: 10% and 80% of the run, the fine-tuning choice of the reimplementation)
 * @param densityPattern RoSA/SpA: per-module densities overriding {@code density} (peft's density_pattern)
 */
public record MethodSpec(String method, int r, double alpha, double dropout, String targets, double density,
                         double loraLr, int warmupSteps, int spaNumGrads, String gradAccMode, int resampleEvery,
                         String sampling, double tau, long ti, long te, boolean clamp,
                         java.util.Map<String, Double> densityPattern) {

    public MethodSpec {
        // ordered: the first matching key wins, as in peft
        densityPattern = densityPattern == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(densityPattern));
    }

    /** A spec with one density for every module. */
    public MethodSpec(String method, int r, double alpha, double dropout, String targets, double density, double loraLr,
                      int warmupSteps, int spaNumGrads, String gradAccMode, int resampleEvery, String sampling,
                      double tau, long ti, long te, boolean clamp) {
        this(method, r, alpha, dropout, targets, density, loraLr, warmupSteps, spaNumGrads, gradAccMode, resampleEvery,
                sampling, tau, ti, te, clamp, java.util.Map.of());
    }

    /** Defaults of each method's paper recipe, for the given method name. */
    public static MethodSpec defaults(String method) {
        return new MethodSpec(method, 16, 16, 0.05, "all-linear", method.equals("spa") ? 0.012 : 0.006, 0, 64, 1,
                "mean_squared", 0, "random", 0.1, 0, 0, false);
    }

    public TargetModules targetModules() {
        if (targets.equals("all-linear")) {
            return TargetModules.allLinear();
        }
        if (targets.startsWith("re:")) {
            return TargetModules.regex(targets.substring(3));
        }
        return TargetModules.names(targets.split(","));
    }

    public LoraConfig lora() {
        return new LoraConfig(r, alpha, dropout, targetModules(), false, false);
    }

    public RosaConfig rosa() {
        GradientStatistics.Mode mode = switch (gradAccMode) {
            case "mean_squared" -> GradientStatistics.Mode.MEAN_SQUARED;
            case "mean" -> GradientStatistics.Mode.MEAN;
            default -> throw new IllegalArgumentException("grad_acc_mode '" + gradAccMode + "' is not mean_squared or mean");
        };
        boolean spaOnly = method.equals("spa"); // peft-rosa's spa_only: no LoRA, so no LoRA warm-up either
        return new RosaConfig(spaOnly ? 0 : r, alpha, dropout, density, targetModules(), spaOnly ? 0 : warmupSteps,
                spaNumGrads, mode, RosaConfig.Impl.SP_ADD, densityPattern);
    }

    public SubspaceConfig subspace() {
        return new SubspaceConfig(r, targetModules(), SubspaceConfig.Sampling.valueOf(sampling.toUpperCase(java.util.Locale.ROOT)),
                resampleEvery);
    }

    public RoseLoraConfig roselora(long totalSteps) {
        return new RoseLoraConfig(lora(), tau, ti >= 0 ? ti : totalSteps / 10, te >= 0 ? te : totalSteps * 8 / 10, 0.8,
                clamp, 3e-3);
    }
}
