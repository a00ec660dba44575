package dev.rosarium.core.tasks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Readers for the two layouts the data sets come in: tab-separated with a header, and JSON lines. */
public final class DataFiles {
    /** One data row with its line number, for error messages. */
    public record Row<T>(long line, T value) {
    }

    private DataFiles() {
    }

    /** The data root: {@code ROSARIUM_DATA}, else {@code ../shared/data} or {@code data} if present. */
    public static Path defaultRoot() throws IOException {
        String env = System.getenv("ROSARIUM_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        for (Path p : new Path[] {Path.of("..", "shared", "data"), Path.of("..", "..", "shared", "data"), Path.of("data")}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IOException("no data directory: set ROSARIUM_DATA (looked for ../shared/data and ./data)");
    }

    /**
     * Rows of a TSV file as field arrays, after checking the header names {@code expected} columns.
     * Fields are split on tabs only: quotes are text (SST-2 and MRPC quote nothing).
     */
    public static List<Row<String[]>> tsv(Path file, String... expected) throws IOException {
        List<Row<String[]>> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (header == null) {
                throw new DataFormatException(file, 1, "empty file, expected a header " + Arrays.toString(expected));
            }
            if (header.startsWith("\uFEFF")) {
                header = header.substring(1);
            }
            String[] cols = header.split("\t", -1);
            if (!Arrays.equals(cols, expected)) {
                throw new DataFormatException(file, 1, "header " + Arrays.toString(cols) + ", expected "
                        + Arrays.toString(expected));
            }
            long line = 1;
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isEmpty()) {
                    continue;
                }
                String[] f = s.split("\t", -1);
                if (f.length != expected.length) {
                    throw new DataFormatException(file, line, f.length + " fields, expected " + expected.length);
                }
                rows.add(new Row<>(line, f));
            }
        }
        return rows;
    }

    /** Rows of a JSON-lines file as objects. */
    public static List<Row<JsonObject>> jsonl(Path file) throws IOException {
        List<Row<JsonObject>> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long line = 0;
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) {
                    continue;
                }
                try {
                    JsonElement e = JsonParser.parseString(s);
                    if (!e.isJsonObject()) {
                        throw new DataFormatException(file, line, "not a JSON object");
                    }
                    rows.add(new Row<>(line, e.getAsJsonObject()));
                } catch (JsonParseException e) {
                    throw new DataFormatException(file, line, "invalid JSON: " + e.getMessage());
                }
            }
        }
        return rows;
    }

    /** A string field of a JSON row, or an error naming file, line and field. */
    public static String field(Path file, Row<JsonObject> row, String name) throws DataFormatException {
        JsonElement e = row.value().get(name);
        if (e == null || !e.isJsonPrimitive()) {
            throw new DataFormatException(file, row.line(), "field '" + name + "' is missing or not a string");
        }
        return e.getAsString();
    }

    /** An integer label within [0, numLabels). */
    public static int label(Path file, long line, String text, String field, int numLabels) throws DataFormatException {
        try {
            int v = Integer.parseInt(text.trim());
            if (v < 0 || v >= numLabels) {
                throw new DataFormatException(file, line, field + " = " + v + " is not in [0, " + numLabels + ")");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new DataFormatException(file, line, field + " = '" + text + "' is not an integer label");
        }
    }
}
