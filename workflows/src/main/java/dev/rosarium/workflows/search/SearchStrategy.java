package dev.rosarium.workflows.search;

import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.spec.SweepSpec;

import java.util.List;
import java.util.Map;

/**
 * Picks the hyper-parameters of the next trial. Deterministic in (spec, index, history): it runs
 * inside workflow code, so its randomness comes from the spec's seed and the trial index.
 */
public sealed interface SearchStrategy permits GridSearch, RandomSearch, TpeSearch {
    /** Values by setting name for trial {@code index}, given the trials recorded so far. */
    Map<String, String> suggest(int index, List<TrialOutcome> history);

    static SearchStrategy of(SweepSpec spec) {
        return switch (spec.strategy()) {
            case "grid" -> new GridSearch(spec.space());
            case "random" -> new RandomSearch(spec.space(), spec.seed());
            case "tpe" -> new TpeSearch(spec.space(), spec.seed(), spec.objective());
            default -> throw new IllegalArgumentException("unknown strategy " + spec.strategy());
        };
    }

    /** A stream of trial {@code index}'s own random numbers. */
    static java.util.Random random(long seed, int index) {
        return new java.util.Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
    }
}
