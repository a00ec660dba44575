package dev.rosarium.core.tokenize;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.rosarium.core.gguf.GgufException;
import dev.rosarium.core.gguf.GgufFile;

import java.util.List;

/**
 * Rebuilds a Hugging Face {@code tokenizer.json} from the tokenizer a GGUF file embeds
 * ({@code tokenizer.ggml.*}), so the same tokenizers library runs it. Supports byte-level BPE
 * ({@code tokenizer.ggml.model = gpt2}) with the pre-tokenizers of the models we ship; control
 * tokens become special added tokens.
 */
public final class GgufTokenizerJson {
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;

    private GgufTokenizerJson() {
    }

    public static String build(GgufFile g) throws GgufException {
        String model = String.valueOf(g.require("tokenizer.ggml.model"));
        if (!model.equals("gpt2")) {
            throw new GgufException(g.file(), "tokenizer.ggml.model", "'" + model
                    + "' is not supported (byte-level BPE 'gpt2' only)");
        }
        String pre = String.valueOf(g.metadata().getOrDefault("tokenizer.ggml.pre", "default"));
        List<?> tokens = (List<?>) g.require("tokenizer.ggml.tokens");
        List<?> merges = (List<?>) g.require("tokenizer.ggml.merges");
        List<?> types = (List<?>) g.metadata().get("tokenizer.ggml.token_type");

        JsonObject vocab = new JsonObject();
        JsonArray added = new JsonArray();
        for (int i = 0; i < tokens.size(); i++) {
            String tok = (String) tokens.get(i);
            vocab.addProperty(tok, i);
            int type = types == null ? 1 : ((Number) types.get(i)).intValue();
            if (type == CONTROL || type == USER_DEFINED) {
                JsonObject a = new JsonObject();
                a.addProperty("id", i);
                a.addProperty("content", tok);
                a.addProperty("single_word", false);
                a.addProperty("lstrip", false);
                a.addProperty("rstrip", false);
                a.addProperty("normalized", type != CONTROL);
                a.addProperty("special", type == CONTROL);
                added.add(a);
            }
        }
        JsonArray mergeList = new JsonArray();
        for (Object m : merges) {
            mergeList.add((String) m);
        }
        JsonObject bpe = new JsonObject();
        bpe.addProperty("type", "BPE");
        bpe.add("dropout", JsonNull.INSTANCE);
        bpe.add("unk_token", JsonNull.INSTANCE);
        bpe.add("continuing_subword_prefix", JsonNull.INSTANCE);
        bpe.add("end_of_word_suffix", JsonNull.INSTANCE);
        bpe.addProperty("fuse_unk", false);
        bpe.addProperty("byte_fallback", false);
        bpe.addProperty("ignore_merges", false);
        bpe.add("vocab", vocab);
        bpe.add("merges", mergeList);

        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        root.add("added_tokens", added);
        root.add("normalizer", JsonNull.INSTANCE);
        root.add("pre_tokenizer", preTokenizer(g, pre));
        root.add("post_processor", byteLevel());
        root.add("decoder", byteLevel());
        root.add("model", bpe);
        return root.toString();
    }

    private static JsonObject byteLevel() {
        JsonObject b = new JsonObject();
        b.addProperty("type", "ByteLevel");
        b.addProperty("add_prefix_space", false);
        b.addProperty("trim_offsets", true);
        b.addProperty("use_regex", true);
        return b;
    }

    private static JsonObject preTokenizer(GgufFile g, String pre) throws GgufException {
        switch (pre) {
            case "smollm": {
                // SmolLM: digits split one by one, then GPT-2 byte-level splitting
                JsonObject digits = new JsonObject();
                digits.addProperty("type", "Digits");
                digits.addProperty("individual_digits", true);
                JsonArray seq = new JsonArray();
                seq.add(digits);
                seq.add(byteLevel());
                JsonObject s = new JsonObject();
                s.addProperty("type", "Sequence");
                s.add("pretokenizers", seq);
                return s;
            }
            case "default":
            case "gpt-2":
                return byteLevel();
            default:
                throw new GgufException(g.file(), "tokenizer.ggml.pre", "'" + pre
                        + "' is not supported (smollm, gpt-2, default)");
        }
    }
}
