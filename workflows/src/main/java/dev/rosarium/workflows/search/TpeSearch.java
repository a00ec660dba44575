package dev.rosarium.workflows.search;

import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.TrialStatus;
import dev.rosarium.workflows.spec.Objective;
import dev.rosarium.workflows.spec.ParameterRange;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tree-structured Parzen estimator (Bergstra et al. 2011), one dimension at a time: the finished
 * trials are split into the best {@code GAMMA} fraction and the rest, each group is modelled by a
 * Parzen density (Gaussian kernels in the range's sampling space, or smoothed counts for choices,
 * each mixed with the uniform prior; kernels of width range / (5 n^0.2), truncated to the range),
 * and of {@code CANDIDATES} draws from the good density the one
 * with the highest good/bad ratio is taken. Pruned trials count as bad. Until {@code startup()}
 * trials finished, draws are random.
 */
public record TpeSearch(List<ParameterRange> space, long seed, Objective objective) implements SearchStrategy {
    static final double GAMMA = 0.25;
    static final int CANDIDATES = 24;

    int startup() {
        return Math.max(3, space.size() + 1);
    }

    @Override
    public Map<String, String> suggest(int index, List<TrialOutcome> history) {
        List<TrialOutcome> scored = new ArrayList<>();
        List<TrialOutcome> pruned = new ArrayList<>();
        for (TrialOutcome t : history) {
            if (t.status() == TrialStatus.FINISHED && t.metrics().containsKey(objective.metric())) {
                scored.add(t);
            } else if (t.status() == TrialStatus.PRUNED) {
                pruned.add(t);
            }
        }
        if (scored.size() < startup()) {
            return new RandomSearch(space, seed).suggest(index, history);
        }
        Comparator<TrialOutcome> byValue = Comparator.comparingDouble(t -> t.metrics().get(objective.metric()));
        scored.sort(objective.maximize() ? byValue.reversed() : byValue);
        int nGood = Math.max(1, (int) Math.ceil(GAMMA * scored.size()));
        List<TrialOutcome> good = scored.subList(0, nGood);
        List<TrialOutcome> bad = new ArrayList<>(scored.subList(nGood, scored.size()));
        bad.addAll(pruned);
        Random r = SearchStrategy.random(seed, index);
        Map<String, String> out = new LinkedHashMap<>();
        for (ParameterRange p : space) {
            List<String> gv = good.stream().map(t -> t.params().get(p.key())).filter(v -> v != null).toList();
            List<String> bv = bad.stream().map(t -> t.params().get(p.key())).filter(v -> v != null).toList();
            String best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CANDIDATES; c++) {
                String v = sample(p, gv, r);
                double score = Math.log(density(p, gv, v)) - Math.log(density(p, bv, v));
                if (score > bestScore) {
                    bestScore = score;
                    best = v;
                }
            }
            out.put(p.key(), best);
        }
        return out;
    }

    /** A draw from the Parzen mixture over {@code obs} plus the prior (one uniform component). */
    static String sample(ParameterRange p, List<String> obs, Random r) {
        int k = r.nextInt(obs.size() + 1);
        if (k == obs.size() || p.kind() == ParameterRange.Kind.CHOICE) {
            if (p.kind() == ParameterRange.Kind.CHOICE && k < obs.size()) {
                return obs.get(k);
            }
            return p.at(r.nextDouble());
        }
        double lo = lowCoord(p);
        double hi = highCoord(p);
        if (!(hi > lo)) {
            return p.at(0);
        }
        // a kernel truncated to the range (redrawn, not clipped: clipping would pile draws on the bounds)
        double centre = p.coordinate(obs.get(k));
        double bw = bandwidth(p, obs.size());
        for (int tries = 0; tries < 32; tries++) {
            double x = centre + r.nextGaussian() * bw;
            if (x >= lo && x < hi) {
                return p.at((x - lo) / (hi - lo));
            }
        }
        return p.at(r.nextDouble());
    }

    /** The mixture's density at {@code v} (up to the same constant for both groups). */
    static double density(ParameterRange p, List<String> obs, String v) {
        int n = obs.size() + 1;
        if (p.kind() == ParameterRange.Kind.CHOICE) {
            long same = obs.stream().filter(v::equals).count();
            return (same + 1.0 / p.choices().size()) / n;
        }
        double lo = lowCoord(p);
        double hi = highCoord(p);
        double x = p.coordinate(v);
        double sum = hi > lo ? 1.0 / (hi - lo) : 1.0;
        double bw = bandwidth(p, obs.size());
        for (String o : obs) {
            double z = (x - p.coordinate(o)) / bw;
            sum += Math.exp(-0.5 * z * z) / (bw * Math.sqrt(2 * Math.PI));
        }
        return sum / n;
    }

    private static double bandwidth(ParameterRange p, int n) {
        double width = highCoord(p) - lowCoord(p);
        return Math.max(1e-12, width / Math.pow(Math.max(1, n), 0.2) / 5);
    }

    private static double lowCoord(ParameterRange p) {
        return p.kind() == ParameterRange.Kind.LOG_UNIFORM ? Math.log(p.low()) : p.low();
    }

    private static double highCoord(ParameterRange p) {
        return p.kind() == ParameterRange.Kind.LOG_UNIFORM ? Math.log(p.high()) : p.high();
    }
}
