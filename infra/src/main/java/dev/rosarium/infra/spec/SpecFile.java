package dev.rosarium.infra.spec;

import dev.rosarium.workflows.spec.EarlyStopping;
import dev.rosarium.workflows.spec.Objective;
import dev.rosarium.workflows.spec.ParameterRange;
import dev.rosarium.workflows.spec.SpecException;
import dev.rosarium.workflows.spec.SweepSpec;
import dev.rosarium.workflows.spec.TrialSettings;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads a sweep spec from YAML (the format of docs/spec.md); every error names the file and the field. */
public final class SpecFile {
    private static final Set<String> TOP = Set.of("name", "experiment", "model", "task", "data", "method", "training",
            "evaluation", "sweep", "objective", "early_stopping", "resources");

    private SpecFile() {
    }

    public static SweepSpec load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": spec file not found");
        }
        return parse(Files.readString(file), file.toString());
    }

    public static SweepSpec parse(String yaml, String source) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        } catch (YAMLException e) {
            throw new SpecFileException(source, "not valid YAML: " + e.getMessage());
        }
        try {
            return read(section(root, "(top level)"));
        } catch (SpecException e) {
            throw new SpecFileException(source, e.getMessage());
        }
    }

    private static SweepSpec read(Map<String, Object> top) {
        known(top, "", TOP);
        Map<String, String> base = new LinkedHashMap<>();
        for (String key : List.of("model", "task")) {
            if (top.containsKey(key)) {
                base.put(key, text(top.get(key), key));
            }
        }
        Map<String, Object> data = optional(top, "data");
        Map<String, Object> method = optional(top, "method");
        Map<String, Object> training = optional(top, "training");
        copySettings(data, "data", base, Set.of());
        copySettings(method, "method", base, Set.of());
        copySettings(training, "training", base, Set.of("checkpoint_every"));
        Map<String, Object> evaluation = optional(top, "evaluation");
        known(evaluation, "evaluation.", Set.of("rungs"));
        Map<String, Object> sweep = optional(top, "sweep");
        known(sweep, "sweep.", Set.of("strategy", "trials", "parallelism", "seed", "trials_per_run", "space"));
        Map<String, Object> objective = optional(top, "objective");
        known(objective, "objective.", Set.of("metric", "goal"));
        Map<String, Object> stopping = optional(top, "early_stopping");
        known(stopping, "early_stopping.", Set.of("rule", "min_trials", "eta"));
        Map<String, Object> resources = optional(top, "resources");
        known(resources, "resources.", Set.of("task_queue", "heartbeat_seconds"));

        List<ParameterRange> space = space(sweep.containsKey("space") ? section(sweep.get("space"), "sweep.space")
                : Map.of());
        boolean allChoices = space.stream().allMatch(p -> p.kind() == ParameterRange.Kind.CHOICE);
        String strategy = text(sweep.getOrDefault("strategy", allChoices ? "grid" : "random"), "sweep.strategy");
        if (!SweepSpec.STRATEGIES.contains(strategy)) {
            throw new SpecException("sweep.strategy", "expected one of " + SweepSpec.STRATEGIES + ", got '" + strategy + "'");
        }
        if (!sweep.containsKey("trials") && !strategy.equals("grid")) {
            throw new SpecException("sweep.trials", "required for " + strategy + " search");
        }
        int trials = integer(sweep.getOrDefault("trials", SweepSpec.gridSize(space)), "sweep.trials");
        String goal = text(objective.getOrDefault("goal", "maximize"), "objective.goal");
        if (!goal.equals("maximize") && !goal.equals("minimize")) {
            throw new SpecException("objective.goal", "expected maximize or minimize, got '" + goal + "'");
        }
        EarlyStopping es = new EarlyStopping(text(stopping.getOrDefault("rule", "none"), "early_stopping.rule"),
                integer(stopping.getOrDefault("min_trials", 2), "early_stopping.min_trials"),
                integer(stopping.getOrDefault("eta", 3), "early_stopping.eta"));
        int rungs = integer(evaluation.getOrDefault("rungs", es.rule().equals("none") ? 1 : 3), "evaluation.rungs");
        String name = text(top.getOrDefault("name", "sweep"), "name");
        return new SweepSpec(name, text(top.getOrDefault("experiment", "rosarium-" + name), "experiment"), base,
                space, strategy, trials, integer(sweep.getOrDefault("parallelism", 1), "sweep.parallelism"),
                integer(sweep.getOrDefault("seed", 0), "sweep.seed"),
                new Objective(text(objective.getOrDefault("metric", "accuracy"), "objective.metric"),
                        goal.equals("maximize")),
                es, rungs, integer(training.getOrDefault("checkpoint_every", 50), "training.checkpoint_every"),
                text(resources.getOrDefault("task_queue", "cpu"), "resources.task_queue"),
                integer(resources.getOrDefault("heartbeat_seconds", 60), "resources.heartbeat_seconds"),
                integer(sweep.getOrDefault("trials_per_run", 100), "sweep.trials_per_run"));
    }

    private static void copySettings(Map<String, Object> section, String prefix, Map<String, String> base,
                                     Set<String> others) {
        for (Map.Entry<String, Object> e : section.entrySet()) {
            String key = prefix + "." + e.getKey();
            if (others.contains(e.getKey())) {
                continue;
            }
            if (!TrialSettings.isKey(key)) {
                throw new SpecException(key, "unknown setting; known: " + TrialSettings.keys().stream()
                        .filter(k -> k.startsWith(prefix + ".")).toList() + (others.isEmpty() ? "" : " and " + others));
            }
            base.put(key, text(e.getValue(), key));
        }
    }

    private static List<ParameterRange> space(Map<String, Object> space) {
        return space.entrySet().stream().map(e -> {
            String field = "sweep.space." + e.getKey();
            Map<String, Object> d = section(e.getValue(), field);
            if (d.size() != 1) {
                throw new SpecException(field, "expected exactly one of choices, uniform, log_uniform, int_uniform");
            }
            Map.Entry<String, Object> only = d.entrySet().iterator().next();
            String kind = only.getKey();
            if (!(only.getValue() instanceof List<?> values) || values.isEmpty()) {
                throw new SpecException(field + "." + kind, "expected a list");
            }
            if (kind.equals("choices")) {
                return ParameterRange.choice(e.getKey(), values.stream().map(v -> text(v, field)).toList());
            }
            if (values.size() != 2) {
                throw new SpecException(field + "." + kind, "expected [low, high]");
            }
            ParameterRange.Kind k = switch (kind) {
                case "uniform" -> ParameterRange.Kind.UNIFORM;
                case "log_uniform" -> ParameterRange.Kind.LOG_UNIFORM;
                case "int_uniform" -> ParameterRange.Kind.INT_UNIFORM;
                default -> throw new SpecException(field + "." + kind,
                        "expected choices, uniform, log_uniform or int_uniform");
            };
            return new ParameterRange(e.getKey(), k, List.of(), number(values.get(0), field + "." + kind),
                    number(values.get(1), field + "." + kind));
        }).toList();
    }

    private static void known(Map<String, Object> m, String prefix, Set<String> allowed) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new SpecException(prefix + k, "unknown field; expected one of " + allowed.stream().sorted().toList());
            }
        }
    }

    private static Map<String, Object> optional(Map<String, Object> top, String key) {
        return top.containsKey(key) ? section(top.get(key), key) : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Object o, String field) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new SpecException(field, "expected a mapping, got " + describe(o));
        }
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) {
                throw new SpecException(field, "keys must be text, got " + describe(k));
            }
        }
        return (Map<String, Object>) m;
    }

    private static String text(Object o, String field) {
        if (o instanceof Map || o instanceof List || o == null) {
            throw new SpecException(field, "expected a single value, got " + describe(o));
        }
        return String.valueOf(o);
    }

    private static int integer(Object o, String field) {
        if (o instanceof Integer i) {
            return i;
        }
        throw new SpecException(field, "expected an integer, got " + describe(o));
    }

    private static double number(Object o, String field) {
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(text(o, field));
        } catch (NumberFormatException e) {
            throw new SpecException(field, "expected a number, got " + describe(o));
        }
    }

    private static String describe(Object o) {
        return o == null ? "nothing" : o instanceof Map ? "a mapping" : o instanceof List ? "a list"
                : "'" + o + "' (" + o.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ")";
    }
}
