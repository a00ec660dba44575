package dev.rosarium.core.models;

import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Writes a model (typically after merging its adapters) as a Hugging Face directory:
 * {@code config.json}, {@code model.safetensors} with every weight under its Hugging Face name,
 * and any extra files (the tokenizer). The directory appears atomically.
 */
public final class ModelExport {
    private ModelExport() {
    }

    public static void saveHfDirectory(Path dir, Weights weights, String configJson, Map<String, Path> extraFiles,
                                       DType dtype) throws IOException {
        saveHfDirectory(dir, weights, UnaryOperator.identity(), configJson, extraFiles, dtype);
    }

    /**
     * Writes {@code config.json}, {@code model.safetensors} (every weight, under {@code rename} of its
     * name) and the extra files into {@code dir}, atomically.
     */
    public static void saveHfDirectory(Path dir, Weights weights, UnaryOperator<String> rename, String configJson,
                                       Map<String, Path> extraFiles, DType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (NamedParameter p : weights.all()) {
            if (p.variable().value() == null) {
                throw new IllegalStateException("weight " + p.name() + " is stored in 4 bits; dequantize its layer "
                        + "(Linear.dequantize) before exporting");
            }
            w.add(rename.apply(p.name()), p.variable().value(), dtype);
        }
        byte[] tensors = w.toBytes();
        AtomicFiles.writeDirectory(dir, tmp -> {
            Files.writeString(tmp.resolve("config.json"), configJson);
            Files.write(tmp.resolve("model.safetensors"), tensors);
            for (Map.Entry<String, Path> e : extraFiles.entrySet()) {
                Files.copy(e.getValue(), tmp.resolve(e.getKey()));
            }
        });
    }
}
