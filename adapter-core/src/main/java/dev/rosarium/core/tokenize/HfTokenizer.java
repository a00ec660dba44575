package dev.rosarium.core.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the tokenizers library (its native
 * library ships in the jar; nothing is downloaded). Encodes single texts or text pairs with the
 * tokenizer's own special tokens, truncating to {@code maxLength}.
 */
public final class HfTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final int padId;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path file, int padId) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.padId = padId;
    }

    public static HfTokenizer open(Path tokenizerJson, int maxLength, int padId) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException(tokenizerJson + ": tokenizer file not found");
        }
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                "truncation", "true", "maxLength", Integer.toString(maxLength), "padding", "false",
                "addSpecialTokens", "true"));
        return new HfTokenizer(t, tokenizerJson, padId);
    }

    public Path file() {
        return file;
    }

    public long[] encode(String text) {
        return tokenizer.encode(text).getIds();
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** Encodes texts (or pairs when {@code second} is not null) and right-pads them to the longest. */
    public TokenizedBatch encodeBatch(List<String> first, List<String> second) {
        int n = first.size();
        Encoding[] enc = new Encoding[n];
        int seq = 0;
        for (int i = 0; i < n; i++) {
            enc[i] = second == null ? tokenizer.encode(first.get(i)) : tokenizer.encode(first.get(i), second.get(i));
            seq = Math.max(seq, enc[i].getIds().length);
        }
        int[] ids = new int[n * seq];
        int[] types = new int[n * seq];
        int[] mask = new int[n * seq];
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < n; i++) {
            long[] id = enc[i].getIds();
            long[] ty = enc[i].getTypeIds();
            for (int j = 0; j < id.length; j++) {
                ids[i * seq + j] = Math.toIntExact(id[j]);
                types[i * seq + j] = (int) ty[j];
                mask[i * seq + j] = 1;
            }
        }
        return new TokenizedBatch(n, seq, ids, types, mask);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
