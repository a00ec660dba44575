package dev.rosarium.core.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** A tokenizer truncating to {@code maxLength}; {@code padId} fills {@link #encodeBatch} rows. */
    public static HfTokenizer open(Path tokenizerJson, int maxLength, int padId) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException(tokenizerJson + ": tokenizer file not found");
        }
        // DJL caps maxLength at its modelMaxLength, 512 unless given: a causal LM's prompts may be longer
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                "truncation", "true", "maxLength", Integer.toString(maxLength), "modelMaxLength",
                Integer.toString(maxLength), "padding", "false", "addSpecialTokens", "true"));
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

    /** Ids and token type ids of one input, with the tokenizer's special tokens, truncated to {@code maxLength}. */
    public record Encoded(int[] ids, int[] typeIds) {
    }

    /** Encodes a text, or a text pair when {@code second} is not null. */
    public Encoded encodeWithTypes(String first, String second) {
        Encoding e = second == null ? tokenizer.encode(first) : tokenizer.encode(first, second);
        return new Encoded(toInts(e.getIds()), toInts(e.getTypeIds()));
    }

    /** Encodes texts (or pairs when {@code second} is not null) and right-pads them to the longest. */
    public TokenizedBatch encodeBatch(List<String> first, List<String> second) {
        List<int[]> ids = new ArrayList<>();
        List<int[]> types = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            Encoded e = encodeWithTypes(first.get(i), second == null ? null : second.get(i));
            ids.add(e.ids());
            types.add(e.typeIds());
        }
        return TokenizedBatch.pad(ids, types, padId);
    }

    /**
     * Ids of a text that continues an already encoded one (an answer after its prompt): no special
     * tokens are added, only truncation to {@code maxLength} applies.
     */
    public long[] encodeContinuation(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
