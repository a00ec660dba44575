package dev.rosarium.activities.prepare;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code manifest.json} of a prepared directory: where the data came from (code version, the
 * request's fields, the SHA-256 of the tokenizer, chat template and data files) and what was
 * written (per split its row and token counts and its shards with their SHA-256).
 *
 * @param kind               {@code classification} or {@code generation}
 * @param numLabels          classes of a classification task, 0 for generation
 * @param model              the model the request named (its tokenizer is what counts: see tokenizerSha256)
 * @param chatTemplateSha256 SHA-256 of the model's chat template, or null when it has none
 * @param inputs             data file (relative to the data root, '/'-separated) to its SHA-256
 * @param splits             {@code train} and {@code eval}
 */
public record DatasetManifest(int formatVersion, String contentHash, String codeVersion, String task, String kind,
                              int numLabels, String model, String tokenizerSha256, String chatTemplateSha256,
                              int maxLength, int trainRows, int evalRows, long seed, int rowsPerShard,
                              Map<String, String> inputs, Map<String, SplitInfo> splits) {
    /** The layout version of prepared directories; part of every content hash. */
    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "manifest.json";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHARD_NAME = Pattern.compile("[a-z]+-[0-9]{5}\\.bin");

    /** One split: its rows in shard order. */
    public record SplitInfo(long rows, long tokens, List<ShardInfo> shards) {
    }

    /** One shard file of a split. */
    public record ShardInfo(String file, int rows, long tokens, long bytes, String sha256) {
    }

    public DatasetManifest {
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        splits = Collections.unmodifiableMap(new LinkedHashMap<>(splits));
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("formatVersion", formatVersion);
        o.addProperty("contentHash", contentHash);
        o.addProperty("codeVersion", codeVersion);
        o.addProperty("task", task);
        o.addProperty("kind", kind);
        o.addProperty("numLabels", numLabels);
        o.addProperty("model", model);
        o.addProperty("tokenizerSha256", tokenizerSha256);
        o.add("chatTemplateSha256", chatTemplateSha256 == null ? JsonNull.INSTANCE : new JsonPrimitive(chatTemplateSha256));
        o.addProperty("maxLength", maxLength);
        o.addProperty("trainRows", trainRows);
        o.addProperty("evalRows", evalRows);
        o.addProperty("seed", seed);
        o.addProperty("rowsPerShard", rowsPerShard);
        JsonObject in = new JsonObject();
        inputs.forEach(in::addProperty);
        o.add("inputs", in);
        JsonObject sp = new JsonObject();
        splits.forEach((name, s) -> {
            JsonObject so = new JsonObject();
            so.addProperty("rows", s.rows());
            so.addProperty("tokens", s.tokens());
            JsonArray shards = new JsonArray();
            for (ShardInfo sh : s.shards()) {
                JsonObject x = new JsonObject();
                x.addProperty("file", sh.file());
                x.addProperty("rows", sh.rows());
                x.addProperty("tokens", sh.tokens());
                x.addProperty("bytes", sh.bytes());
                x.addProperty("sha256", sh.sha256());
                shards.add(x);
            }
            so.add("shards", shards);
            sp.add(name, so);
        });
        o.add("splits", sp);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(o) + "\n";
    }

    /** Reads and checks a manifest; errors name the file and the field. */
    public static DatasetManifest read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": missing (not a prepared data directory)", e);
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        Fields f = new Fields(file);
        JsonObject o = f.object(root, "");
        int format = f.integer(o, "formatVersion");
        if (format != FORMAT_VERSION) {
            throw new IOException(file + ": field 'formatVersion' = " + format + ", expected " + FORMAT_VERSION
                    + " (written by another Rosarium version; prepare the data again)");
        }
        Map<String, String> inputs = new LinkedHashMap<>();
        JsonObject in = f.object(o.get("inputs"), "inputs");
        for (String k : in.keySet()) {
            inputs.put(k, f.sha(in, k, "inputs."));
        }
        Map<String, SplitInfo> splits = new LinkedHashMap<>();
        JsonObject sp = f.object(o.get("splits"), "splits");
        for (String name : new String[] {"train", "eval"}) {
            String at = "splits." + name;
            JsonObject so = f.object(sp.get(name), at);
            JsonElement arr = so.get("shards");
            if (arr == null || !arr.isJsonArray()) {
                throw f.error(at + ".shards", "expected an array of shards");
            }
            List<ShardInfo> shards = new ArrayList<>();
            for (int i = 0; i < arr.getAsJsonArray().size(); i++) {
                String sa = at + ".shards[" + i + "]";
                JsonObject x = f.object(arr.getAsJsonArray().get(i), sa);
                String fileName = f.string(x, "file", sa + ".");
                if (!SHARD_NAME.matcher(fileName).matches()) {
                    throw f.error(sa + ".file", "'" + fileName + "' is not a shard file name like train-00000.bin");
                }
                shards.add(new ShardInfo(fileName, f.integer(x, "rows", sa + "."), f.count(x, "tokens", sa + "."),
                        f.count(x, "bytes", sa + "."), f.sha(x, "sha256", sa + ".")));
            }
            splits.put(name, new SplitInfo(f.count(so, "rows", at + "."), f.count(so, "tokens", at + "."), shards));
        }
        JsonElement chat = o.get("chatTemplateSha256");
        return new DatasetManifest(format, f.sha(o, "contentHash", ""), f.string(o, "codeVersion", ""),
                f.string(o, "task", ""), f.string(o, "kind", ""), f.integer(o, "numLabels"), f.string(o, "model", ""),
                f.sha(o, "tokenizerSha256", ""), chat == null || chat.isJsonNull() ? null : f.sha(o, "chatTemplateSha256", ""),
                f.integer(o, "maxLength"), f.integer(o, "trainRows"), f.integer(o, "evalRows"), f.longValue(o, "seed", ""),
                f.integer(o, "rowsPerShard"), inputs, splits);
    }

    /** Typed field access with errors that name the file and the field's path. */
    private record Fields(Path file) {
        IOException error(String field, String problem) {
            return new IOException(file + ": field '" + field + "': " + problem);
        }

        JsonObject object(JsonElement e, String at) throws IOException {
            if (e == null || !e.isJsonObject()) {
                throw at.isEmpty() ? new IOException(file + ": expected a JSON object") : error(at, "missing or not an object");
            }
            return e.getAsJsonObject();
        }

        String string(JsonObject o, String name, String prefix) throws IOException {
            JsonElement e = o.get(name);
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw error(prefix + name, "missing or not a string");
            }
            return e.getAsString();
        }

        String sha(JsonObject o, String name, String prefix) throws IOException {
            String s = string(o, name, prefix);
            if (!SHA256.matcher(s).matches()) {
                throw error(prefix + name, "'" + s + "' is not a SHA-256 (64 lower-case hex digits)");
            }
            return s;
        }

        long longValue(JsonObject o, String name, String prefix) throws IOException {
            JsonElement e = o.get(name);
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw error(prefix + name, "missing or not a number");
            }
            try {
                return new BigDecimal(e.getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException x) {
                throw error(prefix + name, e.getAsString() + " is not an integer");
            }
        }

        int integer(JsonObject o, String name) throws IOException {
            return integer(o, name, "");
        }

        int integer(JsonObject o, String name, String prefix) throws IOException {
            long v = longValue(o, name, prefix);
            if (v != (int) v) {
                throw error(prefix + name, v + " is out of range");
            }
            return (int) v;
        }

        long count(JsonObject o, String name, String prefix) throws IOException {
            long v = longValue(o, name, prefix);
            if (v < 0) {
                throw error(prefix + name, v + " is negative");
            }
            return v;
        }
    }
}
