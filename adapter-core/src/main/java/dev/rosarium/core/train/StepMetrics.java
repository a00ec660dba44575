package dev.rosarium.core.train;

/**
 * What one optimizer step reports: the step just finished (1-based) out of {@code totalSteps}, mean
 * micro-batch loss, the rate multiplier used, the pre-clip gradient norm.
 */
public record StepMetrics(long step, long totalSteps, double loss, double lrFactor, double gradNorm) {
}
