package dev.rosarium.core.models.llama;

import dev.rosarium.core.gguf.GgufFile;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tokenize.HfTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * A causal LM ready to use: the decoder, its tokenizer, end-of-sequence ids and chat template,
 * from a GGUF file (or a directory holding one) or a Hugging Face model directory.
 */
public record CausalLm(LlamaForCausalLM model, HfTokenizer tokenizer, List<Integer> stopIds, String chatTemplate)
        implements AutoCloseable {

    public static CausalLm load(Path path, Backend backend, DType dtype, Predicate<String> trainable, int maxLength)
            throws IOException {
        Path gguf = GgufFile.find(path);
        if (gguf != null) {
            try (GgufFile g = GgufFile.open(gguf)) {
                LlamaConfig cfg = LlamaConfig.fromGguf(g);
                GgufLlamaWeights src = new GgufLlamaWeights(g, cfg);
                LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(src::load, backend, dtype, trainable));
                ModelTokenizer tok = ModelTokenizer.of(g);
                int eos = (int) g.requireLong("tokenizer.ggml.eos_token_id");
                return new CausalLm(model, HfTokenizer.open(tok.tokenizerJson(), maxLength, eos), List.of(eos),
                        tok.chatTemplate());
            }
        }
        String chatTemplate = ModelTokenizer.locate(path).chatTemplate();
        try (HfModelDirectory dir = HfModelDirectory.open(path)) {
            LlamaConfig cfg = LlamaConfig.fromJson(dir.config(), path.resolve("config.json"));
            LlamaForCausalLM model = new LlamaForCausalLM(cfg, new Weights(dir::load, backend, dtype, trainable));
            int eos = dir.config().has("eos_token_id") && dir.config().get("eos_token_id").isJsonPrimitive()
                    ? dir.config().get("eos_token_id").getAsInt() : 2;
            return new CausalLm(model, HfTokenizer.open(dir.tokenizerFile(), maxLength, eos), List.of(eos),
                    chatTemplate);
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
