package dev.rosarium.core.adapters;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.rosarium.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
