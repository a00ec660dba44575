package dev.rosarium.core.adapters;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LoRA adapters in peft's directory format: {@code adapter_config.json} (peft_type LORA) and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight}
 * {@code (r, in)} and {@code ...lora_B.weight} {@code (out, r)}. Unknown config keys are ignored on
 * read (peft adds fields every release); features we do not implement are refused by name.
 */
public final class PeftLoraFormat {
    private static final String PREFIX = PeftDirectory.PREFIX;

    private PeftLoraFormat() {
    }

    /** Saves the adapter and, as peft's {@code modules_to_save}, fully trained modules beside it. */
    public static void save(Path dir, AdapterSet set, LoraConfig cfg, List<NamedParameter> modulesToSave, String baseModel,
                            String taskType, DType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        List<String> modules = new ArrayList<>();
        for (Map.Entry<String, LinearAdapter> e : set.adapters().entrySet()) {
            LoraAdapter a = (LoraAdapter) e.getValue();
            w.add(PREFIX + e.getKey() + ".lora_A.weight", a.a().value(), dtype);
            w.add(PREFIX + e.getKey() + ".lora_B.weight", a.b().value(), dtype);
            String leaf = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            if (!modules.contains(leaf)) {
                modules.add(leaf);
            }
        }
        JsonObject c = new JsonObject();
        c.addProperty("peft_type", "LORA");
        if (taskType == null) {
            c.add("task_type", JsonNull.INSTANCE);
        } else {
            c.addProperty("task_type", taskType);
        }
        c.addProperty("base_model_name_or_path", baseModel);
        c.add("revision", JsonNull.INSTANCE);
        c.addProperty("inference_mode", true);
        c.addProperty("r", cfg.r());
        c.addProperty("lora_alpha", cfg.alpha());
        c.addProperty("lora_dropout", cfg.dropout());
        JsonElement targets;
        if (cfg.targets().everyLinear()) {
            targets = new com.google.gson.JsonPrimitive("all-linear");
        } else if (cfg.targets().regex() != null) {
            targets = new com.google.gson.JsonPrimitive(cfg.targets().regex());
        } else {
            JsonArray arr = new JsonArray();
            cfg.targets().names().stream().sorted().forEach(arr::add);
            targets = arr;
        }
        c.add("target_modules", targets);
        c.addProperty("fan_in_fan_out", false);
        c.addProperty("bias", "none");
        c.addProperty("use_rslora", cfg.useRslora());
        PeftDirectory.addModulesToSave(w, c, modulesToSave, dtype);
        if (cfg.gaussianInit()) {
            c.addProperty("init_lora_weights", "gaussian");
        } else {
            c.addProperty("init_lora_weights", true);
        }
        c.add("layers_to_transform", JsonNull.INSTANCE);
        c.add("layers_pattern", JsonNull.INSTANCE);
        c.add("rank_pattern", new JsonObject());
        c.add("alpha_pattern", new JsonObject());
        c.addProperty("use_dora", false);
        c.addProperty("lora_bias", false);
        PeftDirectory.write(dir, c, w.toBytes());
    }

    /** The configuration stored in a peft LoRA directory. */
    public static LoraConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve("adapter_config.json");
        JsonObject c;
        try {
            c = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a JSON object: " + e.getMessage(), e);
        }
        String type = c.has("peft_type") ? c.get("peft_type").getAsString() : null;
        if (!"LORA".equals(type)) {
            throw new IOException(file + ": peft_type is " + type + ", expected LORA");
        }
        for (String unsupported : new String[] {"rank_pattern", "alpha_pattern"}) {
            if (c.has(unsupported) && c.get(unsupported).isJsonObject() && !c.getAsJsonObject(unsupported).isEmpty()) {
                throw new IOException(file + ": field " + unsupported + " is set; per-module ranks are not supported");
            }
        }
        for (String flag : new String[] {"use_dora", "fan_in_fan_out", "lora_bias"}) {
            if (c.has(flag) && c.get(flag).isJsonPrimitive() && c.get(flag).getAsBoolean()) {
                throw new IOException(file + ": field " + flag + " = true is not supported");
            }
        }
        if (!c.has("r") || !c.has("lora_alpha") || !c.has("target_modules")) {
            throw new IOException(file + ": fields r, lora_alpha and target_modules are required");
        }
        JsonElement t = c.get("target_modules");
        TargetModules targets;
        if (t.isJsonArray()) {
            targets = TargetModules.names(t.getAsJsonArray().asList().stream().map(JsonElement::getAsString)
                    .toArray(String[]::new));
        } else if (t.getAsString().equals("all-linear")) {
            targets = TargetModules.allLinear();
        } else {
            targets = TargetModules.regex(t.getAsString());
        }
        JsonElement init = c.get("init_lora_weights");
        boolean gaussian = init != null && init.isJsonPrimitive() && init.getAsJsonPrimitive().isString()
                && init.getAsString().equals("gaussian");
        return new LoraConfig(c.get("r").getAsInt(), c.get("lora_alpha").getAsDouble(),
                c.has("lora_dropout") ? c.get("lora_dropout").getAsDouble() : 0.0, targets,
                c.has("use_rslora") && c.get("use_rslora").getAsBoolean(), gaussian);
    }

    /**
     * Copies a saved adapter's tensors into the matching attached adapters; every attached module
     * must have both tensors with the right shapes, and every saved module must be attached.
     */
    public static void loadInto(Path dir, AdapterSet set) throws IOException {
        Path file = dir.resolve("adapter_model.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            int used = 0;
            for (Map.Entry<String, LinearAdapter> e : set.adapters().entrySet()) {
                LoraAdapter a = (LoraAdapter) e.getValue();
                for (String part : new String[] {"lora_A", "lora_B"}) {
                    String key = PREFIX + e.getKey() + "." + part + ".weight";
                    if (!r.contains(key)) {
                        throw new IOException(file + ": no tensor " + key);
                    }
                    Tensor target = part.equals("lora_A") ? a.a().value() : a.b().value();
                    if (!java.util.Arrays.equals(r.info(key).shape(), target.shape())) {
                        throw new IOException(file + ": tensor " + key + " has shape "
                                + java.util.Arrays.toString(r.info(key).shape()) + ", the model needs "
                                + java.util.Arrays.toString(target.shape()));
                    }
                    target.backend().copy(r.load(key, target.backend(), target.dtype()), target);
                    used++;
                }
            }
            if (used != r.names().size()) {
                List<String> extra = new ArrayList<>(r.names());
                for (String m : set.adapters().keySet()) {
                    extra.remove(PREFIX + m + ".lora_A.weight");
                    extra.remove(PREFIX + m + ".lora_B.weight");
                }
                throw new IOException(file + ": tensors for modules the model does not have: " + extra);
            }
        }
    }
}
