package dev.rosarium.core.optim;

/**
 * A multiplier of each group's base learning rate as a function of the optimizer step (0-based,
 * the step about to be taken), as PyTorch's LambdaLR schedules are.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.LinearWarmupDecay, LrSchedule.Cosine {

    double factor(long step);

    /** Constant rate, optionally after a linear warm-up. */
    record Constant(long warmupSteps) implements LrSchedule {
        @Override
        public double factor(long step) {
            return step < warmupSteps ? (double) step / Math.max(1, warmupSteps) : 1.0;
        }
    }

    /**
     * Linear warm-up from 0 to 1 over {@code warmupSteps}, then linear decay to 0 at
     * {@code totalSteps} (transformers' get_linear_schedule_with_warmup).
     */
    record LinearWarmupDecay(long warmupSteps, long totalSteps) implements LrSchedule {
        @Override
        public double factor(long step) {
            if (step < warmupSteps) {
                return (double) step / Math.max(1, warmupSteps);
            }
            return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
        }
    }

    /** Linear warm-up, then half a cosine down to {@code minFactor} at {@code totalSteps}. */
    record Cosine(long warmupSteps, long totalSteps, double minFactor) implements LrSchedule {
        @Override
        public double factor(long step) {
            if (step < warmupSteps) {
                return (double) step / Math.max(1, warmupSteps);
            }
            double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        }
    }
}
