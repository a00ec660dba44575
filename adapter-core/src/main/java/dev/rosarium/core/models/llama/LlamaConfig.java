package dev.rosarium.core.models.llama;

import com.google.gson.JsonObject;
import dev.rosarium.core.gguf.GgufException;
import dev.rosarium.core.gguf.GgufFile;

import java.nio.file.Path;

/**
 * The fields of a LLaMA-family configuration: from a Hugging Face {@code config.json} or from GGUF
 * metadata ({@code llama.*} keys).
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, float rmsNormEps, double ropeTheta, RopeScaling ropeScaling,
                          int maxPositions, boolean tieWordEmbeddings) {

    /** RoPE frequency scaling: none, "linear" (positions divided by factor) or "llama3" (banded). */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositions) {
        public static final RopeScaling NONE = new RopeScaling("none", 1, 1, 1, 0);
    }

    public LlamaConfig {
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads "
                    + numKvHeads);
        }
    }

    public static LlamaConfig fromJson(JsonObject c, Path source) {
        int hidden = req(c, "hidden_size", source);
        int heads = req(c, "num_attention_heads", source);
        RopeScaling scaling = RopeScaling.NONE;
        if (c.has("rope_scaling") && c.get("rope_scaling").isJsonObject()) {
            JsonObject r = c.getAsJsonObject("rope_scaling");
            String type = r.has("rope_type") ? r.get("rope_type").getAsString()
                    : r.has("type") ? r.get("type").getAsString() : "default";
            if (!type.equals("default")) {
                if (!type.equals("linear") && !type.equals("llama3")) {
                    throw new IllegalArgumentException(source + ": rope_scaling type '" + type
                            + "' is not supported (linear, llama3)");
                }
                scaling = new RopeScaling(type, r.get("factor").getAsDouble(),
                        r.has("low_freq_factor") ? r.get("low_freq_factor").getAsDouble() : 1,
                        r.has("high_freq_factor") ? r.get("high_freq_factor").getAsDouble() : 4,
                        r.has("original_max_position_embeddings")
                                ? r.get("original_max_position_embeddings").getAsInt() : 8192);
            }
        }
        return new LlamaConfig(req(c, "vocab_size", source), hidden, req(c, "intermediate_size", source),
                req(c, "num_hidden_layers", source), heads,
                c.has("num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads,
                c.has("head_dim") && !c.get("head_dim").isJsonNull() ? c.get("head_dim").getAsInt() : hidden / heads,
                c.has("rms_norm_eps") ? c.get("rms_norm_eps").getAsFloat() : 1e-6f,
                c.has("rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0, scaling,
                c.has("max_position_embeddings") ? c.get("max_position_embeddings").getAsInt() : 2048,
                c.has("tie_word_embeddings") && c.get("tie_word_embeddings").getAsBoolean());
    }

    public static LlamaConfig fromGguf(GgufFile g) throws GgufException {
        String arch = String.valueOf(g.require("general.architecture"));
        if (!arch.equals("llama")) {
            throw new GgufException(g.file(), "general.architecture", "'" + arch + "' is not a LLaMA-family model");
        }
        int hidden = (int) g.requireLong("llama.embedding_length");
        int heads = (int) g.requireLong("llama.attention.head_count");
        int kv = g.metadata().containsKey("llama.attention.head_count_kv")
                ? (int) g.requireLong("llama.attention.head_count_kv") : heads;
        int vocab = g.metadata().containsKey("llama.vocab_size") ? (int) g.requireLong("llama.vocab_size")
                : ((java.util.List<?>) g.require("tokenizer.ggml.tokens")).size();
        double theta = g.metadata().containsKey("llama.rope.freq_base")
                ? ((Number) g.require("llama.rope.freq_base")).doubleValue() : 10000.0;
        RopeScaling scaling = RopeScaling.NONE;
        if ("linear".equals(g.metadata().get("llama.rope.scaling.type"))) {
            scaling = new RopeScaling("linear", ((Number) g.require("llama.rope.scaling.factor")).doubleValue(), 1, 1, 0);
        }
        return new LlamaConfig(vocab, hidden, (int) g.requireLong("llama.feed_forward_length"),
                (int) g.requireLong("llama.block_count"), heads, kv,
                g.metadata().containsKey("llama.rope.dimension_count")
                        ? (int) g.requireLong("llama.rope.dimension_count") : hidden / heads,
                ((Number) g.require("llama.attention.layer_norm_rms_epsilon")).floatValue(), theta, scaling,
                (int) g.requireLong("llama.context_length"), !g.tensors().containsKey("output.weight"));
    }

    /**
     * The configuration as transformers' LlamaConfig writes it (for exported models), with the
     * model's end-of-sequence id; {@link #fromJson} reads it back to an equal record.
     */
    public String toJson(int eosTokenId) {
        JsonObject c = new JsonObject();
        com.google.gson.JsonArray arch = new com.google.gson.JsonArray();
        arch.add("LlamaForCausalLM");
        c.add("architectures", arch);
        c.addProperty("model_type", "llama");
        c.addProperty("vocab_size", vocabSize);
        c.addProperty("hidden_size", hiddenSize);
        c.addProperty("intermediate_size", intermediateSize);
        c.addProperty("num_hidden_layers", numLayers);
        c.addProperty("num_attention_heads", numHeads);
        c.addProperty("num_key_value_heads", numKvHeads);
        c.addProperty("head_dim", headDim);
        c.addProperty("rms_norm_eps", rmsNormEps);
        c.addProperty("rope_theta", ropeTheta);
        c.addProperty("max_position_embeddings", maxPositions);
        c.addProperty("tie_word_embeddings", tieWordEmbeddings);
        c.addProperty("hidden_act", "silu");
        c.addProperty("eos_token_id", eosTokenId);
        c.addProperty("torch_dtype", "float32");
        if (!ropeScaling.type().equals("none")) {
            JsonObject r = new JsonObject();
            r.addProperty("rope_type", ropeScaling.type());
            r.addProperty("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                r.addProperty("low_freq_factor", ropeScaling.lowFreqFactor());
                r.addProperty("high_freq_factor", ropeScaling.highFreqFactor());
                r.addProperty("original_max_position_embeddings", ropeScaling.originalMaxPositions());
            }
            c.add("rope_scaling", r);
        }
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(c);
    }

    private static int req(JsonObject c, String field, Path source) {
        if (!c.has(field)) {
            throw new IllegalArgumentException(source + ": field " + field + " is missing");
        }
        return c.get(field).getAsInt();
    }

    /**
     * cos/sin tables {@code (positions, headDim/2)} computed as transformers does in fp32: inverse
     * frequencies {@code theta^(-2j/d)} (scaled per {@link RopeScaling}), angle = position * freq.
     */
    public float[][] ropeTables(int positions) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int j = 0; j < half; j++) {
            double f = 1.0 / Math.pow(ropeTheta, (2.0 * j) / headDim);
            if (ropeScaling.type().equals("linear")) {
                f /= ropeScaling.factor();
            } else if (ropeScaling.type().equals("llama3")) {
                double wavelen = 2 * Math.PI / f;
                double lowWavelen = ropeScaling.originalMaxPositions() / ropeScaling.lowFreqFactor();
                double highWavelen = ropeScaling.originalMaxPositions() / ropeScaling.highFreqFactor();
                if (wavelen > lowWavelen) {
                    f /= ropeScaling.factor();
                } else if (wavelen >= highWavelen) {
                    double smooth = (ropeScaling.originalMaxPositions() / wavelen - ropeScaling.lowFreqFactor())
                            / (ropeScaling.highFreqFactor() - ropeScaling.lowFreqFactor());
                    f = (1 - smooth) * f / ropeScaling.factor() + smooth * f;
                }
            }
            inv[j] = (float) f;
        }
        float[] cos = new float[positions * half];
        float[] sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int j = 0; j < half; j++) {
                float angle = (float) p * inv[j];
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
