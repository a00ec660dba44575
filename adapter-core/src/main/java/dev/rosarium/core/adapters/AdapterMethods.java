package dev.rosarium.core.adapters;

import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.Optimizer;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.train.StepHook;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of methods: each turns a {@link MethodSpec} into adapters on a model's linear
 * layers, the parameter groups the optimizer trains (with their learning rates) and the step hooks
 * of its schedule. Full fine-tuning attaches nothing: the caller makes every weight trainable.
 */
public final class AdapterMethods {
    /**
     * What a method adds to a training run. {@code writer} saves its adapter in peft's layout; null
     * for methods without one (full fine-tuning; ROSA, whose update lives in the weights).
     */
    public record Setup(AdapterSet adapters, List<ParamGroup> groups, Function<Optimizer, List<StepHook>> hooks,
                        Object config, AdapterWriter writer) {
        /**
         * Saves the adapter, with {@code modulesToSave} (e.g. a new classification head) beside it as
         * peft's modules_to_save; false when the method has no adapter file.
         */
        public boolean saveAdapter(Path dir, List<NamedParameter> modulesToSave, String baseModel, String taskType,
                                   DType dtype) throws IOException {
            if (writer == null) {
                return false;
            }
            writer.save(dir, modulesToSave, baseModel, taskType, dtype);
            return true;
        }
    }

    /** Writes one method's adapter directory. */
    @FunctionalInterface
    public interface AdapterWriter {
        void save(Path dir, List<NamedParameter> modulesToSave, String baseModel, String taskType, DType dtype)
                throws IOException;
    }

    /** One method's way of attaching itself. */
    @FunctionalInterface
    interface Method {
        Setup attach(MethodSpec spec, Map<String, Linear> modules, double lr, double weightDecay, long seed,
                     long totalSteps);
    }

    private static final Map<String, Method> METHODS = Map.of(
            "full", (s, m, lr, wd, seed, total) -> new Setup(null, List.of(), o -> List.of(), null, null),
            "lora", AdapterMethods::lora,
            "spa", AdapterMethods::rosa,
            "rosa", AdapterMethods::rosa,
            "qrosa", AdapterMethods::qrosa,
            "subspace", AdapterMethods::subspace,
            "roselora", AdapterMethods::roselora);

    private AdapterMethods() {
    }

    public static boolean isFull(MethodSpec spec) {
        return spec.method().equals("full");
    }

    public static Setup attach(MethodSpec spec, Map<String, Linear> modules, double lr, double weightDecay, long seed,
                               long totalSteps) {
        Method m = METHODS.get(spec.method());
        if (m == null) {
            throw new IllegalArgumentException("unknown method '" + spec.method() + "'; known: "
                    + METHODS.keySet().stream().sorted().toList());
        }
        return m.attach(spec, modules, lr, weightDecay, seed, totalSteps);
    }

    private static double loraLr(MethodSpec s, double lr) {
        return s.loraLr() > 0 ? s.loraLr() : lr;
    }

    private static Setup lora(MethodSpec s, Map<String, Linear> modules, double lr, double wd, long seed,
                               long total) {
        LoraConfig cfg = s.lora();
        AdapterSet set = AdapterSet.lora(modules, cfg, seed);
        return new Setup(set, List.of(new ParamGroup("lora", set.parameters(), loraLr(s, lr), wd)), o -> List.of(), cfg,
                (dir, extra, base, task, dt) -> PeftLoraFormat.save(dir, set, cfg, extra, base, task, dt));
    }

    private static Setup rosa(MethodSpec s, Map<String, Linear> modules, double lr, double wd, long seed,
                               long total) {
        RosaConfig cfg = s.rosa();
        if (cfg.warmupSteps() + cfg.spaNumGrads() > total) {
            throw new IllegalArgumentException("the mask warm-up (" + cfg.warmupSteps() + " LoRA steps, then "
                    + cfg.spaNumGrads() + " of gradient statistics) does not fit in a run of " + total
                    + " steps; lower the warm-up (mask_warmup_steps) or train longer");
        }
        AdapterSet set = AdapterSet.rosa(modules, cfg, seed);
        List<NamedParameter> lowRank = new ArrayList<>();
        List<NamedParameter> sparse = new ArrayList<>();
        for (NamedParameter p : set.parameters()) {
            (p.name().contains("rosa_spa") ? sparse : lowRank).add(p);
        }
        RosaSchedule schedule = new RosaSchedule(set, cfg);
        List<ParamGroup> groups = new ArrayList<>();
        if (!lowRank.isEmpty()) {
            groups.add(new ParamGroup("rosa_lora", lowRank, loraLr(s, lr), wd));
        }
        groups.add(new ParamGroup("rosa_spa", sparse, lr, wd));
        return new Setup(set, groups, o -> List.of(schedule), cfg,
                (dir, extra, base, task, dt) -> PeftRosaFormat.save(dir, set, cfg, extra, base, task, dt));
    }

    /**
     * RoSA over a 4-bit base: every linear layer of the model (not only the targeted ones, as
     * bitsandbytes' load_in_4bit does) is stored in NF4 with double quantization; the adapters are
     * RoSA's, unchanged.
     */
    private static Setup qrosa(MethodSpec s, Map<String, Linear> modules, double lr, double wd, long seed,
                               long total) {
        modules.values().forEach(Linear::quantize);
        return rosa(s, modules, lr, wd, seed, total);
    }

    private static Setup subspace(MethodSpec s, Map<String, Linear> modules, double lr, double wd, long seed,
                               long total) {
        SubspaceConfig cfg = s.subspace();
        AdapterSet set = AdapterSet.attach(modules, cfg.targets(),
                (name, site) -> SubspaceAdapter.create(name, modules.get(name), cfg, seed, site));
        return new Setup(set, List.of(new ParamGroup("rosa_subspace", set.parameters(), lr, wd)),
                o -> List.of(new SubspaceSchedule(set, o, cfg.resampleEverySteps())), cfg, null);
    }

    private static Setup roselora(MethodSpec s, Map<String, Linear> modules, double lr, double wd, long seed,
                               long total) {
        RoseLoraConfig cfg = s.roselora(total);
        AdapterSet set = AdapterSet.lora(modules, cfg.lora(), seed);
        RoseLoraSchedule schedule = new RoseLoraSchedule(set, cfg);
        return new Setup(set, List.of(new ParamGroup("roselora", set.parameters(), loraLr(s, lr), wd)),
                o -> List.of(schedule), cfg,
                (dir, extra, base, task, dt) -> PeftLoraFormat.save(dir, set, cfg.lora(), extra, base, task, dt));
    }
}
