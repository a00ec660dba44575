package dev.rosarium.core.adapters;

import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.train.StepHook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * peft-rosa's scheduler as a step hook: steps {@code [0, N)} train LoRA alone; steps
 * {@code [N, N + spaNumGrads)} train LoRA while every targeted layer collects gradient statistics
 * (one sample per micro-batch); at the end of step {@code N + spaNumGrads - 1} each layer's mask is
 * the top {@code floor(d*n*m)} of its statistic, and from then on the sparse values train too.
 * Loaded masks skip the collection.
 */
public final class RosaSchedule implements StepHook {
    private final AdapterSet adapters;
    private final RosaConfig cfg;
    private final Map<String, GradientStatistics> stats = new LinkedHashMap<>();
    private boolean masksReady;

    public RosaSchedule(AdapterSet adapters, RosaConfig cfg) {
        this.adapters = adapters;
        this.cfg = cfg;
        this.masksReady = !cfg.hasSparse();
    }

    /** Installs saved masks (the paper recipe's second run); no statistics are collected then. */
    public void useMasks(Map<String, SparseMask> masks) {
        for (Map.Entry<String, LinearAdapter> e : adapters.adapters().entrySet()) {
            SparseMask m = masks.get(e.getKey());
            if (m == null) {
                throw new IllegalArgumentException("no mask for module " + e.getKey());
            }
            ((RosaAdapter) e.getValue()).setMask(m);
        }
        masksReady = true;
    }

    public boolean masksReady() {
        return masksReady;
    }

    /** The masks in use, by module (after warm-up or loading). */
    public Map<String, SparseMask> masks() {
        Map<String, SparseMask> out = new LinkedHashMap<>();
        adapters.adapters().forEach((k, v) -> out.put(k, ((RosaAdapter) v).mask()));
        return out;
    }

    @Override
    public void beforeStep(long step) {
        if (!masksReady && step >= cfg.warmupSteps() && stats.isEmpty()) {
            for (Map.Entry<String, LinearAdapter> e : adapters.adapters().entrySet()) {
                RosaAdapter a = (RosaAdapter) e.getValue();
                GradientStatistics g = new GradientStatistics(a.base().backend(),
                        a.base().outFeatures(), a.base().inFeatures(), cfg.gradAccMode());
                stats.put(e.getKey(), g);
                a.collect(g);
            }
        }
    }

    @Override
    public void afterStep(long step) {
        if (!masksReady && step == cfg.warmupSteps() + cfg.spaNumGrads() - 1) {
            for (Map.Entry<String, LinearAdapter> e : adapters.adapters().entrySet()) {
                RosaAdapter a = (RosaAdapter) e.getValue();
                GradientStatistics g = stats.get(e.getKey());
                a.collect(null);
                a.setMask(g.mask(cfg.densityFor(e.getKey())));
                g.close();
            }
            stats.clear();
            masksReady = true;
        }
    }
}
