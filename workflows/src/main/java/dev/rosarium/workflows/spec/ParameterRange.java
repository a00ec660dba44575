package dev.rosarium.workflows.spec;

import java.util.List;

/**
 * One dimension of a sweep's search space over a trial setting ({@code training.lr},
 * {@code method.name}, ...): a list of choices, or a numeric range sampled uniformly, log-uniformly
 * or as integers.
 */
public record ParameterRange(String key, Kind kind, List<String> choices, double low, double high) {
    public enum Kind { CHOICE, UNIFORM, LOG_UNIFORM, INT_UNIFORM }

    public ParameterRange {
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (kind == Kind.CHOICE && choices.isEmpty()) {
            throw new SpecException("sweep.space." + key, "choices must not be empty");
        }
        if (kind != Kind.CHOICE && !(low <= high)) {
            throw new SpecException("sweep.space." + key, "range [" + low + ", " + high + "] has low > high");
        }
        if (kind == Kind.LOG_UNIFORM && !(low > 0)) {
            throw new SpecException("sweep.space." + key, "log_uniform needs low > 0, got " + low);
        }
    }

    public static ParameterRange choice(String key, List<String> values) {
        return new ParameterRange(key, Kind.CHOICE, values, 0, 0);
    }

    /** The value at position {@code u} in [0, 1) of this range (for choices: the index {@code floor(u * n)}). */
    public String at(double u) {
        return switch (kind) {
            case CHOICE -> choices.get(Math.min(choices.size() - 1, (int) (u * choices.size())));
            case UNIFORM -> Double.toString(low + u * (high - low));
            case LOG_UNIFORM -> Double.toString(Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))));
            case INT_UNIFORM -> Long.toString(Math.min((long) high, (long) Math.floor(low + u * (high - low + 1))));
        };
    }

    /** Where a value lies in this range's sampling space (log for log-uniform), for model-based search. */
    public double coordinate(String value) {
        double v = Double.parseDouble(value);
        return kind == Kind.LOG_UNIFORM ? Math.log(v) : v;
    }
}
