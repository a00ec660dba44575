package dev.rosarium.core.models;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face model directory read in place: {@code config.json}, the weights as one
 * {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}, and
 * {@code tokenizer.json}. Tensors are memory-mapped and loaded one at a time.
 */
public final class HfModelDirectory implements AutoCloseable {
    private final Path dir;
    private final JsonObject config;
    private final Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
    private final List<SafetensorsReader> readers = new ArrayList<>();

    private HfModelDirectory(Path dir, JsonObject config) {
        this.dir = dir;
        this.config = config;
    }

    public static HfModelDirectory open(Path dir) throws IOException {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(dir + " is not a model directory: config.json is missing");
        }
        JsonObject config = parseObject(configFile);
        HfModelDirectory m = new HfModelDirectory(dir, config);
        try {
            Path index = dir.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(index)) {
                JsonObject map = parseObject(index).getAsJsonObject("weight_map");
                if (map == null) {
                    throw new IOException(index + ": field weight_map is missing");
                }
                Map<String, SafetensorsReader> shards = new LinkedHashMap<>();
                for (Map.Entry<String, JsonElement> e : map.entrySet()) {
                    String shard = e.getValue().getAsString();
                    SafetensorsReader r = shards.get(shard);
                    if (r == null) {
                        r = SafetensorsReader.open(dir.resolve(shard));
                        shards.put(shard, r);
                        m.readers.add(r);
                    }
                    if (!r.contains(e.getKey())) {
                        throw new IOException(index + ": weight_map sends " + e.getKey() + " to " + shard
                                + ", which does not contain it");
                    }
                    m.byTensor.put(e.getKey(), r);
                }
            } else {
                Path single = dir.resolve("model.safetensors");
                if (!Files.isRegularFile(single)) {
                    throw new IOException(dir + " has neither model.safetensors nor model.safetensors.index.json");
                }
                SafetensorsReader r = SafetensorsReader.open(single);
                m.readers.add(r);
                for (String name : r.names()) {
                    m.byTensor.put(name, r);
                }
            }
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    static JsonObject parseObject(Path file) throws IOException {
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file));
            if (!e.isJsonObject()) {
                throw new IOException(file + ": not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return dir;
    }

    public JsonObject config() {
        return config;
    }

    public Path tokenizerFile() {
        return dir.resolve("tokenizer.json");
    }

    public Set<String> tensorNames() {
        return byTensor.keySet();
    }

    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    /** Loads a tensor in {@code dtype}; a missing tensor is an error naming the directory. */
    public Tensor load(String name, Backend backend, DType dtype) throws IOException {
        SafetensorsReader r = byTensor.get(name);
        if (r == null) {
            throw new IOException(dir + ": the weights have no tensor '" + name + "'");
        }
        return r.load(name, backend, dtype);
    }

    @Override
    public void close() throws IOException {
        for (SafetensorsReader r : readers) {
            r.close();
        }
    }
}
