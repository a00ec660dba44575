package dev.rosarium.core.train;

/** What one optimizer step reports: mean micro-batch loss, the rate multiplier used, the pre-clip norm. */
public record StepMetrics(long step, double loss, double lrFactor, double gradNorm) {
}
