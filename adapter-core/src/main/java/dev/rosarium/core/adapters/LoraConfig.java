package dev.rosarium.core.adapters;

/**
 * LoRA as peft defines it: rank {@code r}, scaling {@code alpha / r} (or {@code alpha / sqrt(r)}
 * with rsLoRA), dropout on the adapter input, A Kaiming-uniform (or Gaussian N(0, 1/r^2)), B zero.
 */
public record LoraConfig(int r, double alpha, double dropout, TargetModules targets, boolean useRslora,
                         boolean gaussianInit) {
    public LoraConfig {
        if (r < 1 || !(alpha > 0) || dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("LoRA needs r >= 1, alpha > 0 and 0 <= dropout < 1");
        }
    }

    public double scaling() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }
}
