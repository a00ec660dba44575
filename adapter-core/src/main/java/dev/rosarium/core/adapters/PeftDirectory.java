package dev.rosarium.core.adapters;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes a peft adapter directory: {@code adapter_config.json} with sorted keys and explicit nulls
 * (as peft's {@code json.dumps(sort_keys=True)}) and {@code adapter_model.safetensors}, built aside
 * and renamed into place; an older adapter at the same path is replaced.
 */
final class PeftDirectory {
    static final String PREFIX = "base_model.model.";

    private PeftDirectory() {
    }

    /**
     * Adds the fully trained modules beside the adapter (a new classification head) as peft's
     * {@code modules_to_save} does: tensors under the model's own names, modules listed in the config.
     */
    static void addModulesToSave(SafetensorsWriter w, JsonObject config, List<NamedParameter> modules, DType dtype) {
        if (modules.isEmpty()) {
            config.add("modules_to_save", JsonNull.INSTANCE);
            return;
        }
        JsonArray names = new JsonArray();
        for (NamedParameter p : modules) {
            w.add(PREFIX + p.name(), p.variable().value(), dtype);
            String module = p.name().substring(0, p.name().lastIndexOf('.'));
            if (!names.contains(new JsonPrimitive(module))) {
                names.add(module);
            }
        }
        config.add("modules_to_save", names);
    }

    static void write(Path dir, JsonObject config, byte[] tensors) throws IOException {
        JsonObject sorted = new JsonObject();
        new TreeMap<>(config.asMap()).forEach(sorted::add);
        String json = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(sorted);
        AtomicFiles.deleteRecursively(dir);
        AtomicFiles.writeDirectory(dir, tmp -> {
            Files.writeString(tmp.resolve("adapter_config.json"), json);
            Files.write(tmp.resolve("adapter_model.safetensors"), tensors);
        });
    }
}
