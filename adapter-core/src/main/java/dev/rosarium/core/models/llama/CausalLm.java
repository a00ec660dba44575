package dev.rosarium.core.models.llama;

import dev.rosarium.core.gguf.GgufFile;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tokenize.GgufTokenizerJson;
import dev.rosarium.core.tokenize.HfTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A causal LM ready to use: the decoder, its tokenizer, end-of-sequence ids and chat template,
 * from a GGUF file (or a directory holding one) or a Hugging Face model directory.
 */
public record CausalLm(LlamaForCausalLM model, HfTokenizer tokenizer, List<Integer> stopIds, String chatTemplate)
        implements AutoCloseable {

    public static CausalLm load(Path path, Backend backend, DType dtype, Predicate<String> trainable, int maxLength)
            throws IOException {
        Path gguf = findGguf(path);
        if (gguf != null) {
            try (GgufFile g = GgufFile.open(gguf)) {
                LlamaConfig cfg = LlamaConfig.fromGguf(g);
                GgufLlamaWeights src = new GgufLlamaWeights(g, cfg);
                LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(src::load, backend, dtype, trainable));
                Path tokFile = gguf.resolveSibling(gguf.getFileName() + ".tokenizer.json");
                if (!Files.isRegularFile(tokFile)) {
                    AtomicFiles.write(tokFile, GgufTokenizerJson.build(g).getBytes(StandardCharsets.UTF_8));
                }
                int eos = (int) g.requireLong("tokenizer.ggml.eos_token_id");
                Object template = g.metadata().get("tokenizer.chat_template");
                return new CausalLm(model, HfTokenizer.open(tokFile, maxLength, eos), List.of(eos),
                        template == null ? null : template.toString());
            }
        }
        try (HfModelDirectory dir = HfModelDirectory.open(path)) {
            LlamaConfig cfg = LlamaConfig.fromJson(dir.config(), path.resolve("config.json"));
            LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(dir::load, backend, dtype, trainable));
            int eos = dir.config().has("eos_token_id") && dir.config().get("eos_token_id").isJsonPrimitive()
                    ? dir.config().get("eos_token_id").getAsInt() : 2;
            return new CausalLm(model, HfTokenizer.open(dir.tokenizerFile(), maxLength, eos), List.of(eos), null);
        }
    }

    private static Path findGguf(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.toString().endsWith(".gguf")) {
            return path;
        }
        if (Files.isDirectory(path) && !Files.exists(path.resolve("config.json"))) {
            try (Stream<Path> s = Files.list(path)) {
                return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElse(null);
            }
        }
        return null;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
