package dev.rosarium.workflows.spec;

import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.recipes.FineTuneConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A trial's settings by the names the spec uses ({@code training.lr}, {@code method.name}, ...): the
 * one mapping between those names and {@link FineTuneConfig}, used to read specs, to apply
 * sampled hyper-parameters and to log parameters.
 */
public final class TrialSettings {
    private enum Type { TEXT, INT, LONG, NUMBER, BOOL }

    private record Field(String key, Type type, Function<FineTuneConfig, Object> get) {
    }

    private static final List<Field> FIELDS = List.of(
            new Field("model", Type.TEXT, FineTuneConfig::model),
            new Field("task", Type.TEXT, FineTuneConfig::task),
            new Field("data.train_rows", Type.INT, FineTuneConfig::trainRows),
            new Field("data.eval_rows", Type.INT, FineTuneConfig::evalRows),
            new Field("data.max_length", Type.INT, FineTuneConfig::maxLength),
            new Field("method.name", Type.TEXT, c -> c.method().method()),
            new Field("method.r", Type.INT, c -> c.method().r()),
            new Field("method.alpha", Type.NUMBER, c -> c.method().alpha()),
            new Field("method.dropout", Type.NUMBER, c -> c.method().dropout()),
            new Field("method.targets", Type.TEXT, c -> c.method().targets()),
            new Field("method.density", Type.NUMBER, c -> c.method().density()),
            new Field("method.lora_lr", Type.NUMBER, c -> c.method().loraLr()),
            new Field("method.mask_warmup_steps", Type.INT, c -> c.method().warmupSteps()),
            new Field("method.spa_num_grads", Type.INT, c -> c.method().spaNumGrads()),
            new Field("method.grad_acc_mode", Type.TEXT, c -> c.method().gradAccMode()),
            new Field("method.resample_every", Type.INT, c -> c.method().resampleEvery()),
            new Field("method.sampling", Type.TEXT, c -> c.method().sampling()),
            new Field("method.tau", Type.NUMBER, c -> c.method().tau()),
            new Field("method.ti", Type.LONG, c -> c.method().ti()),
            new Field("method.te", Type.LONG, c -> c.method().te()),
            new Field("method.clamp", Type.BOOL, c -> c.method().clamp()),
            new Field("training.batch_size", Type.INT, FineTuneConfig::batchSize),
            new Field("training.lr", Type.NUMBER, FineTuneConfig::lr),
            new Field("training.weight_decay", Type.NUMBER, FineTuneConfig::weightDecay),
            new Field("training.epochs", Type.INT, FineTuneConfig::epochs),
            new Field("training.warmup_ratio", Type.NUMBER, FineTuneConfig::warmupRatio),
            new Field("training.max_grad_norm", Type.NUMBER, FineTuneConfig::maxGradNorm),
            new Field("training.seed", Type.LONG, FineTuneConfig::seed));

    private static final List<String> METHODS = List.of("full", "lora", "spa", "rosa", "subspace", "roselora");

    private TrialSettings() {
    }

    public static boolean isKey(String key) {
        return FIELDS.stream().anyMatch(f -> f.key().equals(key));
    }

    public static List<String> keys() {
        return FIELDS.stream().map(Field::key).toList();
    }

    /** Every setting of {@code c} by spec name, as text. */
    public static Map<String, String> describe(FineTuneConfig c) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Field f : FIELDS) {
            out.put(f.key(), String.valueOf(f.get().apply(c)));
        }
        return out;
    }

    /**
     * The configuration of {@code values} over the defaults (MiniLM, SST-2, and the chosen method's
     * paper defaults); a value that does not parse or an unknown name fails naming the field.
     */
    public static FineTuneConfig toConfig(Map<String, String> values) {
        for (String k : values.keySet()) {
            if (!isKey(k)) {
                throw new SpecException(k, "unknown setting; known: " + keys());
            }
        }
        String method = values.getOrDefault("method.name", "full");
        if (!METHODS.contains(method)) {
            throw new SpecException("method.name", "expected one of " + METHODS + ", got '" + method + "'");
        }
        FineTuneConfig d = FineTuneConfig.defaults();
        String task = values.getOrDefault("task", d.task()).trim();
        String model;
        try {
            model = FineTuneConfig.defaultModel(task);
        } catch (IllegalArgumentException e) {
            throw new SpecException("task", e.getMessage());
        }
        Map<String, String> all = describe(new FineTuneConfig(model, task, d.trainRows(), d.evalRows(),
                d.batchSize(), FineTuneConfig.defaultMaxLength(task), d.lr(), d.weightDecay(), d.epochs(), d.warmupRatio(), d.maxGradNorm(),
                d.seed(), MethodSpec.defaults(method)));
        all.putAll(values);
        Map<String, Object> v = new LinkedHashMap<>();
        for (Field f : FIELDS) {
            v.put(f.key(), parse(f, all.get(f.key())));
        }
        MethodSpec spec = new MethodSpec(method, (int) v.get("method.r"), (double) v.get("method.alpha"),
                (double) v.get("method.dropout"), (String) v.get("method.targets"), (double) v.get("method.density"),
                (double) v.get("method.lora_lr"), (int) v.get("method.mask_warmup_steps"),
                (int) v.get("method.spa_num_grads"), (String) v.get("method.grad_acc_mode"),
                (int) v.get("method.resample_every"), (String) v.get("method.sampling"), (double) v.get("method.tau"),
                (long) v.get("method.ti"), (long) v.get("method.te"), (boolean) v.get("method.clamp"));
        try {
            return new FineTuneConfig((String) v.get("model"), (String) v.get("task"),
                    (int) v.get("data.train_rows"), (int) v.get("data.eval_rows"), (int) v.get("training.batch_size"),
                    (int) v.get("data.max_length"), (double) v.get("training.lr"),
                    (double) v.get("training.weight_decay"), (int) v.get("training.epochs"),
                    (double) v.get("training.warmup_ratio"), (double) v.get("training.max_grad_norm"),
                    (long) v.get("training.seed"), spec);
        } catch (IllegalArgumentException e) {
            throw new SpecException("training", e.getMessage());
        }
    }

    private static Object parse(Field f, String text) {
        String t = text.trim();
        try {
            return switch (f.type()) {
                case TEXT -> t;
                case INT -> Integer.parseInt(t);
                case LONG -> Long.parseLong(t);
                case NUMBER -> Double.parseDouble(t);
                case BOOL -> {
                    if (!t.equals("true") && !t.equals("false")) {
                        throw new NumberFormatException();
                    }
                    yield Boolean.parseBoolean(t);
                }
            };
        } catch (NumberFormatException e) {
            throw new SpecException(f.key(), "expected " + f.type().name().toLowerCase(Locale.ROOT)
                    + (f.type() == Type.BOOL ? " (true or false)" : "") + ", got '" + text + "'");
        }
    }
}
