package dev.rosarium.core.models.bert;

import com.google.gson.JsonObject;

import java.nio.file.Path;

/** The fields of a BERT-family {@code config.json} the encoder uses. */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int maxPositions, int typeVocabSize, float layerNormEps, String hiddenAct,
                         float hiddenDropout, int padTokenId) {

    public int headDim() {
        return hiddenSize / numHeads;
    }

    public static BertConfig fromJson(JsonObject c, Path source) {
        BertConfig cfg = new BertConfig(req(c, "vocab_size", source), req(c, "hidden_size", source),
                req(c, "num_hidden_layers", source), req(c, "num_attention_heads", source),
                req(c, "intermediate_size", source), req(c, "max_position_embeddings", source),
                c.has("type_vocab_size") ? c.get("type_vocab_size").getAsInt() : 2,
                c.has("layer_norm_eps") ? c.get("layer_norm_eps").getAsFloat() : 1e-12f,
                c.has("hidden_act") ? c.get("hidden_act").getAsString() : "gelu",
                c.has("hidden_dropout_prob") ? c.get("hidden_dropout_prob").getAsFloat() : 0.1f,
                c.has("pad_token_id") ? c.get("pad_token_id").getAsInt() : 0);
        if (cfg.hiddenSize % cfg.numHeads != 0) {
            throw new IllegalArgumentException(source + ": hidden_size " + cfg.hiddenSize
                    + " is not a multiple of num_attention_heads " + cfg.numHeads);
        }
        if (c.has("position_embedding_type") && !c.get("position_embedding_type").getAsString().equals("absolute")) {
            throw new IllegalArgumentException(source + ": position_embedding_type "
                    + c.get("position_embedding_type").getAsString() + " is not supported (only absolute)");
        }
        return cfg;
    }

    /** A transformers {@code config.json} for {@code BertForSequenceClassification} with this encoder. */
    public String toJson(int numLabels) {
        JsonObject c = new JsonObject();
        com.google.gson.JsonArray arch = new com.google.gson.JsonArray();
        arch.add("BertForSequenceClassification");
        c.add("architectures", arch);
        c.addProperty("model_type", "bert");
        c.addProperty("vocab_size", vocabSize);
        c.addProperty("hidden_size", hiddenSize);
        c.addProperty("num_hidden_layers", numLayers);
        c.addProperty("num_attention_heads", numHeads);
        c.addProperty("intermediate_size", intermediateSize);
        c.addProperty("max_position_embeddings", maxPositions);
        c.addProperty("type_vocab_size", typeVocabSize);
        c.addProperty("layer_norm_eps", layerNormEps);
        c.addProperty("hidden_act", hiddenAct);
        c.addProperty("hidden_dropout_prob", hiddenDropout);
        c.addProperty("pad_token_id", padTokenId);
        c.addProperty("position_embedding_type", "absolute");
        c.addProperty("torch_dtype", "float32");
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < numLabels; i++) {
            id2label.addProperty(Integer.toString(i), "LABEL_" + i);
            label2id.addProperty("LABEL_" + i, i);
        }
        c.add("id2label", id2label);
        c.add("label2id", label2id);
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(c);
    }

    private static int req(JsonObject c, String field, Path source) {
        if (!c.has(field)) {
            throw new IllegalArgumentException(source + ": field " + field + " is missing");
        }
        return c.get(field).getAsInt();
    }
}
