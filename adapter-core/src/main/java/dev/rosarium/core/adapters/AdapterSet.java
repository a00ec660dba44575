package dev.rosarium.core.adapters;

import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.NamedParameter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** The adapters attached to a model's targeted linear layers, by module path, in model order. */
public final class AdapterSet {
    private final Map<String, LinearAdapter> adapters;
    private final Map<String, Linear> layers;

    private AdapterSet(Map<String, LinearAdapter> adapters, Map<String, Linear> layers) {
        this.adapters = Collections.unmodifiableMap(adapters);
        this.layers = Collections.unmodifiableMap(layers);
    }

    /**
     * Attaches {@code make(modulePath, site)} to every module {@code targets} selects; {@code site}
     * numbers the adapters (their random streams). Fails when nothing matches, as peft does.
     */
    public static AdapterSet attach(Map<String, Linear> modules, TargetModules targets,
                                    BiFunction<String, Integer, LinearAdapter> make) {
        Map<String, LinearAdapter> adapters = new LinkedHashMap<>();
        Map<String, Linear> layers = new LinkedHashMap<>();
        int site = 0;
        for (Map.Entry<String, Linear> e : modules.entrySet()) {
            if (targets.matches(e.getKey())) {
                LinearAdapter a = make.apply(e.getKey(), site++);
                e.getValue().setAdapter(a);
                adapters.put(e.getKey(), a);
                layers.put(e.getKey(), e.getValue());
            }
        }
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException("target modules " + targets + " match none of the model's linear layers "
                    + "(e.g. " + modules.keySet().stream().limit(3).toList() + ")");
        }
        return new AdapterSet(adapters, layers);
    }

    public static AdapterSet lora(Map<String, Linear> modules, LoraConfig cfg, long seed) {
        return attach(modules, cfg.targets(), (name, site) -> LoraAdapter.create(name, modules.get(name), cfg, seed, site));
    }

    public static AdapterSet rosa(Map<String, Linear> modules, RosaConfig cfg, long seed) {
        return attach(modules, cfg.targets(), (name, site) -> RosaAdapter.create(name, modules.get(name), cfg, seed, site));
    }

    public Map<String, LinearAdapter> adapters() {
        return adapters;
    }

    public List<NamedParameter> parameters() {
        List<NamedParameter> out = new ArrayList<>();
        for (LinearAdapter a : adapters.values()) {
            out.addAll(a.parameters());
        }
        return out;
    }

    public void merge() {
        adapters.values().forEach(LinearAdapter::merge);
    }

    public void unmerge() {
        adapters.values().forEach(LinearAdapter::unmerge);
    }

    /** Merges and removes the adapters: the model is plain again, with the update in its weights. */
    public void mergeAndUnload() {
        merge();
        layers.values().forEach(l -> l.setAdapter(null));
    }
}
