package dev.rosarium.core.tasks;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Text-to-SQL as in the RoSA recipe: JSON lines {@code {"messages": [question, sql]}} in
 * {@code sql/train.jsonl} and {@code sql/valid.jsonl}; prompt {@code question + "\n\n answer: "},
 * scored by exact string match of the generated SQL after trimming.
 */
public final class SqlTask implements Task.Generation {
    @Override
    public String name() {
        return "sql";
    }

    @Override
    public Path file(Path dataRoot, Split split) {
        return dataRoot.resolve("sql").resolve(split == Split.TRAIN ? "train.jsonl" : "valid.jsonl");
    }

    @Override
    public List<GenerationExample> read(Path dataRoot, Split split) throws IOException {
        Path file = file(dataRoot, split);
        List<GenerationExample> out = new ArrayList<>();
        for (DataFiles.Row<JsonObject> r : DataFiles.jsonl(file)) {
            JsonArray m = r.value().has("messages") && r.value().get("messages").isJsonArray()
                    ? r.value().getAsJsonArray("messages") : null;
            if (m == null || m.size() < 2 || !m.get(0).isJsonPrimitive() || !m.get(1).isJsonPrimitive()) {
                throw new DataFormatException(file, r.line(), "field 'messages' must be [question, answer] strings");
            }
            String answer = m.get(1).getAsString();
            out.add(new GenerationExample(m.get(0).getAsString() + "\n\n answer: ", answer, answer.strip()));
        }
        return out;
    }

    @Override
    public boolean correct(String generated, GenerationExample example) {
        return generated.strip().equals(example.reference());
    }
}
