package dev.rosarium.workflows.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Stops weak trials at the rungs where they report held-out metrics.
 * {@code median}: a trial stops when its value is worse than the median of the other trials' values
 * at the same rung (once {@code minTrials} others reported). {@code asha}: asynchronous successive
 * halving; a trial continues only while it is in the top {@code 1/eta} of the values reported at
 * that rung so far (once {@code eta} trials reported). {@code none} never stops a trial.
 */
public record EarlyStopping(String rule, int minTrials, int eta) {
    public EarlyStopping {
        if (!List.of("none", "median", "asha").contains(rule)) {
            throw new SpecException("early_stopping.rule", "expected none, median or asha, got '" + rule + "'");
        }
        if (minTrials < 1) {
            throw new SpecException("early_stopping.min_trials", "expected >= 1, got " + minTrials);
        }
        if (eta < 2) {
            throw new SpecException("early_stopping.eta", "expected >= 2, got " + eta);
        }
    }

    public static EarlyStopping none() {
        return new EarlyStopping("none", 1, 2);
    }

    /** Whether a trial whose value is {@code value} keeps going, given the others' values at the same rung. */
    public boolean keepGoing(double value, List<Double> others, Objective objective) {
        switch (rule) {
            case "median": {
                if (others.size() < minTrials) {
                    return true;
                }
                List<Double> sorted = new ArrayList<>(others);
                Collections.sort(sorted);
                int n = sorted.size();
                double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
                return !objective.better(median, value);
            }
            case "asha": {
                int n = others.size() + 1;
                if (n < eta) {
                    return true;
                }
                int keep = Math.max(1, n / eta);
                int better = 0;
                for (double o : others) {
                    if (objective.better(o, value)) {
                        better++;
                    }
                }
                return better < keep;
            }
            default:
                return true;
        }
    }
}
