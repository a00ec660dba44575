package dev.rosarium.core.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of checkpoints, one sub-directory per step ({@code step-00000100}) holding
 * {@code state.safetensors} (parameters under {@code param/}, optimizer slots under {@code optim/})
 * and {@code checkpoint.json} (step, seed, data position, config and the SHA-256 of the tensor
 * file). Each checkpoint appears atomically; only the newest {@code keep} are kept.
 */
public final class CheckpointStore {
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final String STATE = "state.safetensors";
    private static final String MANIFEST = "checkpoint.json";
    private static final int FORMAT = 1;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Path root;
    private final int keep;

    public CheckpointStore(Path root, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one checkpoint, got " + keep);
        }
        this.root = root;
        this.keep = keep;
    }

    public Path root() {
        return root;
    }

    public Path save(Checkpoint c) throws IOException {
        Path dir = root.resolve(String.format("step-%08d", c.step()));
        if (Files.exists(dir)) {
            return dir; // the same step of a deterministic run: already written, nothing to redo
        }
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "rosarium-checkpoint");
        c.params().forEach((name, t) -> w.add("param/" + name, t));
        c.optimizerState().forEach((name, t) -> w.add("optim/" + name, t));
        byte[] state = w.toBytes();
        JsonObject manifest = new JsonObject();
        manifest.addProperty("format", FORMAT);
        manifest.addProperty("step", c.step());
        manifest.addProperty("optimizer_steps", c.optimizerSteps());
        manifest.addProperty("seed", c.seed());
        manifest.addProperty("data_position", c.dataPosition());
        manifest.addProperty("config", c.config());
        manifest.addProperty("state_sha256", sha256(state));
        AtomicFiles.writeDirectory(dir, tmp -> {
            Files.write(tmp.resolve(STATE), state);
            Files.write(tmp.resolve(MANIFEST), GSON.toJson(manifest).getBytes(StandardCharsets.UTF_8));
        });
        prune();
        return dir;
    }

    /** Checkpoint directories, oldest first. */
    public List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted()
                    .forEach(out::add);
        }
        return out;
    }

    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            AtomicFiles.deleteRecursively(all.get(i));
        }
    }

    /** Loads and verifies a checkpoint directory onto {@code backend}. */
    public static Checkpoint load(Path dir, Backend backend) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        Path stateFile = dir.resolve(STATE);
        JsonObject m;
        try {
            m = JsonParser.parseString(Files.readString(manifestFile)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException(manifestFile + ": not a JSON object: " + e.getMessage(), e);
        }
        int format = requireLong(manifestFile, m, "format").intValue();
        if (format != FORMAT) {
            throw new IOException(manifestFile + ": field format is " + format + ", this version reads " + FORMAT);
        }
        String expected = requireString(manifestFile, m, "state_sha256");
        String actual = sha256(Files.readAllBytes(stateFile));
        if (!expected.equals(actual)) {
            throw new IOException(stateFile + ": SHA-256 " + actual + " does not match state_sha256 " + expected
                    + " in " + manifestFile + " (corrupt or partially copied checkpoint)");
        }
        Map<String, Tensor> params = new LinkedHashMap<>();
        Map<String, Tensor> optim = new LinkedHashMap<>();
        try (SafetensorsReader r = SafetensorsReader.open(stateFile)) {
            for (String name : r.names()) {
                if (name.startsWith("param/")) {
                    params.put(name.substring(6), r.load(name, backend));
                } else if (name.startsWith("optim/")) {
                    optim.put(name.substring(6), r.load(name, backend));
                } else {
                    throw new IOException(stateFile + ": tensor '" + name + "' is neither param/ nor optim/");
                }
            }
        }
        return new Checkpoint(requireLong(manifestFile, m, "step"), requireLong(manifestFile, m, "optimizer_steps"),
                requireLong(manifestFile, m, "seed"), requireLong(manifestFile, m, "data_position"),
                requireString(manifestFile, m, "config"), params, optim);
    }

    /** The step a checkpoint directory holds, from its name. */
    public static long stepOf(Path dir) {
        Matcher mt = NAME.matcher(dir.getFileName().toString());
        if (!mt.matches()) {
            throw new IllegalArgumentException(dir + " is not a checkpoint directory");
        }
        return Long.parseLong(mt.group(1));
    }

    private static Long requireLong(Path file, JsonObject m, String field) throws IOException {
        if (!m.has(field) || !m.get(field).isJsonPrimitive() || !m.get(field).getAsJsonPrimitive().isNumber()) {
            throw new IOException(file + ": field " + field + " is missing or not a number");
        }
        return m.get(field).getAsLong();
    }

    private static String requireString(Path file, JsonObject m, String field) throws IOException {
        if (!m.has(field) || !m.get(field).isJsonPrimitive()) {
            throw new IOException(file + ": field " + field + " is missing or not a string");
        }
        return m.get(field).getAsString();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
