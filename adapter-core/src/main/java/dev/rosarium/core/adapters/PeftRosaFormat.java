package dev.rosarium.core.adapters;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * RoSA adapters in the peft-rosa directory layout: {@code adapter_config.json} with
 * {@code peft_type: ROSA}, and {@code adapter_model.safetensors} with, per module,
 * {@code rosa_A.weight (r, in)}, {@code rosa_B.weight (out, r)} (absent for SpA) and
 * {@code rosa_spa.values (nnz)}, {@code rosa_spa.row_offs (out+1, I32)},
 * {@code rosa_spa.row_idx (out, I16)} (rows by descending non-zeros) and
 * {@code rosa_spa.col_idx (nnz, I16)}. The saved structure carries the mask, so loading needs no
 * mask file. int16 column indices limit in_features to 32767, as in peft-rosa.
 */
public final class PeftRosaFormat {
    private static final String PREFIX = PeftDirectory.PREFIX;

    private PeftRosaFormat() {
    }

    /** Saves the adapter and, as peft's {@code modules_to_save}, fully trained modules beside it. */
    public static void save(Path dir, AdapterSet set, RosaConfig cfg, List<NamedParameter> modulesToSave, String baseModel,
                            String taskType, DType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        JsonArray modules = new JsonArray();
        for (Map.Entry<String, LinearAdapter> e : set.adapters().entrySet()) {
            RosaAdapter a = (RosaAdapter) e.getValue();
            String p = PREFIX + e.getKey();
            if (a.a() != null) {
                w.add(p + ".rosa_A.weight", a.a().value(), dtype);
                w.add(p + ".rosa_B.weight", a.b().value(), dtype);
            }
            SparseMask m = a.mask();
            if (m == null) {
                throw new IOException(e.getKey() + ": no mask yet (save after the mask warm-up)");
            }
            if (m.cols() > Short.MAX_VALUE) {
                throw new IOException(e.getKey() + ": in_features " + m.cols() + " exceeds the int16 column indices "
                        + "of the peft-rosa format");
            }
            w.add(p + ".rosa_spa.values", a.values().value(), dtype);
            w.addInts(p + ".rosa_spa.row_offs", DType.I32, new int[] {m.rows() + 1}, m.rowOffs());
            w.addInts(p + ".rosa_spa.row_idx", DType.I16, new int[] {m.rows()}, m.rowsByDescendingCount());
            w.addInts(p + ".rosa_spa.col_idx", DType.I16, new int[] {m.nnz()}, m.colIdx());
            String leaf = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            if (!modules.contains(new com.google.gson.JsonPrimitive(leaf))) {
                modules.add(leaf);
            }
        }
        JsonObject json = new JsonObject();
        json.addProperty("peft_type", "ROSA");
        json.addProperty("task_type", taskType);
        json.addProperty("base_model_name_or_path", baseModel);
        json.add("revision", JsonNull.INSTANCE);
        json.addProperty("inference_mode", true);
        json.addProperty("r", cfg.r());
        json.addProperty("d", cfg.density());
        json.addProperty("lora_alpha", cfg.alpha());
        json.addProperty("lora_dropout", cfg.dropout());
        json.add("target_modules", cfg.targets().everyLinear() ? new com.google.gson.JsonPrimitive("all-linear")
                : cfg.targets().regex() != null ? new com.google.gson.JsonPrimitive(cfg.targets().regex()) : modules);
        json.addProperty("impl", cfg.impl() == RosaConfig.Impl.SPMM ? "spmm" : "sp_add");
        json.addProperty("spa_store_transpose", false);
        json.addProperty("spa_num_grads", cfg.spaNumGrads());
        json.addProperty("grad_acc_mode", cfg.gradAccMode() == GradientStatistics.Mode.MEAN ? "mean" : "mean_squared");
        json.add("mask_load_path", JsonNull.INSTANCE);
        json.add("mask_save_path", JsonNull.INSTANCE);
        json.addProperty("rosa_dtype", dtype == DType.BF16 ? "bf16" : dtype == DType.F16 ? "fp16" : "fp32");
        json.addProperty("terminate_after_mask_generation", false);
        json.addProperty("schedule", cfg.r() == 0 ? "spa_only" : "wl" + cfg.warmupSteps());
        json.addProperty("fan_in_fan_out", false);
        json.addProperty("bias", "none");
        json.addProperty("use_rslora", false);
        PeftDirectory.addModulesToSave(w, json, modulesToSave, dtype);
        json.addProperty("init_lora_weights", true);
        json.add("layers_to_transform", JsonNull.INSTANCE);
        json.add("layers_pattern", JsonNull.INSTANCE);
        json.add("rank_pattern", new JsonObject());
        JsonObject densities = new JsonObject();
        cfg.densityPattern().forEach(densities::addProperty);
        json.add("density_pattern", densities);
        json.add("alpha_pattern", new JsonObject());
        PeftDirectory.write(dir, json, w.toBytes());
    }

    /** r, d, alpha and targets of a peft-rosa directory (unknown keys ignored). */
    public static RosaConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve("adapter_config.json");
        JsonObject c;
        try {
            c = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a JSON object: " + e.getMessage(), e);
        }
        if (!c.has("peft_type") || !c.get("peft_type").getAsString().equals("ROSA")) {
            throw new IOException(file + ": peft_type is not ROSA");
        }
        for (String pattern : new String[] {"rank_pattern", "alpha_pattern"}) {
            if (c.has(pattern) && c.get(pattern).isJsonObject() && !c.getAsJsonObject(pattern).isEmpty()) {
                throw new IOException(file + ": field " + pattern + " is set; per-module values are not supported");
            }
        }
        var t = c.get("target_modules");
        TargetModules targets = t.isJsonArray()
                ? TargetModules.names(t.getAsJsonArray().asList().stream().map(x -> x.getAsString()).toArray(String[]::new))
                : t.getAsString().equals("all-linear") ? TargetModules.allLinear() : TargetModules.regex(t.getAsString());
        String schedule = c.has("schedule") ? c.get("schedule").getAsString() : "default";
        Map<String, Double> densities = new java.util.LinkedHashMap<>();
        if (c.has("density_pattern") && c.get("density_pattern").isJsonObject()) {
            c.getAsJsonObject("density_pattern").entrySet().forEach(e -> densities.put(e.getKey(), e.getValue().getAsDouble()));
        }
        return new RosaConfig(c.get("r").getAsInt(), c.get("lora_alpha").getAsDouble(),
                c.has("lora_dropout") ? c.get("lora_dropout").getAsDouble() : 0, c.get("d").getAsDouble(), targets,
                RosaConfig.warmupStepsOf(schedule), c.has("spa_num_grads") ? c.get("spa_num_grads").getAsInt() : 1,
                c.has("grad_acc_mode") && c.get("grad_acc_mode").getAsString().equals("mean")
                        ? GradientStatistics.Mode.MEAN : GradientStatistics.Mode.MEAN_SQUARED,
                c.has("impl") && c.get("impl").getAsString().equals("spmm") ? RosaConfig.Impl.SPMM : RosaConfig.Impl.SP_ADD,
                densities);
    }

    /** Installs the saved masks and copies the saved tensors into the attached RoSA adapters. */
    public static void loadInto(Path dir, AdapterSet set) throws IOException {
        Path file = dir.resolve("adapter_model.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            for (Map.Entry<String, LinearAdapter> e : set.adapters().entrySet()) {
                RosaAdapter a = (RosaAdapter) e.getValue();
                String p = PREFIX + e.getKey();
                for (String part : new String[] {".rosa_spa.row_offs", ".rosa_spa.col_idx", ".rosa_spa.values"}) {
                    if (!r.contains(p + part)) {
                        throw new IOException(file + ": no tensor " + p + part);
                    }
                }
                SparseMask m = new SparseMask(a.base().outFeatures(), a.base().inFeatures(),
                        r.readInts(p + ".rosa_spa.row_offs"), r.readInts(p + ".rosa_spa.col_idx"));
                a.setMask(m);
                copy(r, p + ".rosa_spa.values", a.values().value(), file);
                if (a.a() != null) {
                    copy(r, p + ".rosa_A.weight", a.a().value(), file);
                    copy(r, p + ".rosa_B.weight", a.b().value(), file);
                }
            }
        }
    }

    private static void copy(SafetensorsReader r, String key, Tensor target, Path file) throws IOException {
        if (!r.contains(key) || !java.util.Arrays.equals(r.info(key).shape(), target.shape())) {
            throw new IOException(file + ": tensor " + key + " is missing or not of shape "
                    + java.util.Arrays.toString(target.shape()));
        }
        target.backend().copy(r.load(key, target.backend(), target.dtype()), target);
    }
}
