package dev.rosarium.workflows.search;

import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.spec.ParameterRange;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Independent draws from each range (log-uniform ranges uniformly in log space). */
public record RandomSearch(List<ParameterRange> space, long seed) implements SearchStrategy {
    @Override
    public Map<String, String> suggest(int index, List<TrialOutcome> history) {
        Random r = SearchStrategy.random(seed, index);
        Map<String, String> out = new LinkedHashMap<>();
        for (ParameterRange p : space) {
            out.put(p.key(), p.at(r.nextDouble()));
        }
        return out;
    }
}
