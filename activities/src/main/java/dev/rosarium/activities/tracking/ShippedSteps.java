package dev.rosarium.activities.tracking;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The (metric key, step) pairs that a run already holds on the server. A run keeps one point per
 * key and step: a retried activity that logs steps again (it resumed from an older checkpoint), or
 * a batch sent again after a failure whose outcome was unknown, finds its points here and drops
 * them. A run's entry is loaded from the server's metric history the first time this process
 * ships metrics to it, and forgotten whenever a send fails, so the server stays the truth.
 */
final class ShippedSteps {
    private final Map<String, Map<String, Set<Long>>> byRun = new HashMap<>();

    boolean loaded(String runId) {
        return byRun.containsKey(runId);
    }

    void load(String runId, Map<String, Set<Long>> stepsByKey) {
        Map<String, Set<Long>> copy = new HashMap<>();
        stepsByKey.forEach((k, v) -> copy.put(k, new HashSet<>(v)));
        byRun.put(runId, copy);
    }

    /** A run created by this process starts empty. */
    void startEmpty(String runId) {
        byRun.put(runId, new HashMap<>());
    }

    boolean contains(String runId, String key, long step) {
        return byRun.getOrDefault(runId, Map.of()).getOrDefault(key, Set.of()).contains(step);
    }

    void add(String runId, String key, long step) {
        byRun.computeIfAbsent(runId, r -> new HashMap<>()).computeIfAbsent(key, k -> new HashSet<>()).add(step);
    }

    void forget(String runId) {
        byRun.remove(runId);
    }
}
