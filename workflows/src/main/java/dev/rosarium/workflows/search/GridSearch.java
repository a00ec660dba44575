package dev.rosarium.workflows.search;

import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.spec.ParameterRange;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every combination of the choices, in order, the last dimension varying fastest. */
public record GridSearch(List<ParameterRange> space) implements SearchStrategy {
    @Override
    public Map<String, String> suggest(int index, List<TrialOutcome> history) {
        Map<String, String> out = new LinkedHashMap<>();
        int rest = index;
        for (int i = space.size() - 1; i >= 0; i--) {
            List<String> c = space.get(i).choices();
            out.put(space.get(i).key(), c.get(rest % c.size()));
            rest /= c.size();
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        space.forEach(p -> ordered.put(p.key(), out.get(p.key())));
        return ordered;
    }
}
