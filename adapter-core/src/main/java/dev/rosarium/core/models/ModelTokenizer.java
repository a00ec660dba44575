package dev.rosarium.core.models;

import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.gguf.GgufFile;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.tokenize.GgufTokenizerJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenizer a model carries and its chat template, found without loading weights: a Hugging
 * Face directory's {@code tokenizer.json} and the {@code chat_template} string of its
 * {@code tokenizer_config.json} where {@code ChatTemplate} (ChatML) can follow it (other templates
 * are left out, so such a model's prompts are used as written), or for GGUF the embedded tokenizer
 * rebuilt as a {@code <file>.tokenizer.json} beside it on first use, with the embedded template.
 *
 * @param chatTemplate the template text, or null when the model has none
 */
public record ModelTokenizer(Path tokenizerJson, String chatTemplate) {
    /** The tokenizer of a GGUF file, a directory holding one, or a Hugging Face model directory. */
    public static ModelTokenizer locate(Path model) throws IOException {
        Path gguf = GgufFile.find(model);
        if (gguf != null) {
            try (GgufFile g = GgufFile.open(gguf)) {
                return of(g);
            }
        }
        Path json = model.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new IOException(model + " has no tokenizer.json and is not a GGUF model");
        }
        String template = chatTemplate(model.resolve(TOKENIZER_CONFIG));
        return new ModelTokenizer(json, template != null && ChatTemplate.supports(template) ? template : null);
    }

    /** The Hugging Face file that holds a model's chat template. */
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private static String chatTemplate(Path config) throws IOException {
        if (!Files.isRegularFile(config)) {
            return null;
        }
        try {
            com.google.gson.JsonElement c = com.google.gson.JsonParser.parseString(Files.readString(config));
            com.google.gson.JsonElement t = c.isJsonObject() ? c.getAsJsonObject().get("chat_template") : null;
            return t != null && t.isJsonPrimitive() ? t.getAsString() : null;
        } catch (com.google.gson.JsonParseException e) {
            throw new IOException(config + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** The tokenizer embedded in an open GGUF file. */
    public static ModelTokenizer of(GgufFile g) throws IOException {
        Path json = g.file().resolveSibling(g.file().getFileName() + ".tokenizer.json");
        if (!Files.isRegularFile(json)) {
            AtomicFiles.write(json, GgufTokenizerJson.build(g).getBytes(StandardCharsets.UTF_8));
        }
        Object template = g.metadata().get("tokenizer.chat_template");
        return new ModelTokenizer(json, template == null ? null : template.toString());
    }
}
