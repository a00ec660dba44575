package dev.rosarium.core.tokenize;

import java.util.Arrays;

/**
 * One example as token ids, unpadded. A classification example has its input ids, token type ids
 * and a label; a generative example has the prompt's ids as input, the answer's ids as target and
 * label -1. Equality compares the ids, so examples from prepared shards can be checked against a
 * fresh tokenization.
 *
 * @param tokenTypeIds segment ids, one per input id, or empty when the tokenizer has none
 * @param label        the class index, or -1 for a generative example
 * @param targetIds    the ids the model is trained to continue the input with; empty for classification
 */
public record TokenizedExample(int[] inputIds, int[] tokenTypeIds, int label, int[] targetIds) {
    private static final int[] NONE = new int[0];

    public TokenizedExample {
        if (tokenTypeIds.length != 0 && tokenTypeIds.length != inputIds.length) {
            throw new IllegalArgumentException(tokenTypeIds.length + " token type ids for " + inputIds.length
                    + " input ids");
        }
        if (label < -1) {
            throw new IllegalArgumentException("label " + label + " (expected a class index, or -1 for generation)");
        }
    }

    public static TokenizedExample classification(int[] inputIds, int[] tokenTypeIds, int label) {
        return new TokenizedExample(inputIds, tokenTypeIds, label, NONE);
    }

    public static TokenizedExample generation(int[] inputIds, int[] targetIds) {
        return new TokenizedExample(inputIds, NONE, -1, targetIds);
    }

    /** Input plus target ids: what a row costs in tokens. */
    public int tokens() {
        return inputIds.length + targetIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizedExample e && label == e.label && Arrays.equals(inputIds, e.inputIds)
                && Arrays.equals(tokenTypeIds, e.tokenTypeIds) && Arrays.equals(targetIds, e.targetIds);
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(inputIds) * 31 + Arrays.hashCode(tokenTypeIds)) * 31 + label) * 31
                + Arrays.hashCode(targetIds);
    }

    @Override
    public String toString() {
        return "TokenizedExample[inputIds=" + Arrays.toString(inputIds) + ", tokenTypeIds="
                + Arrays.toString(tokenTypeIds) + ", label=" + label + ", targetIds=" + Arrays.toString(targetIds) + "]";
    }
}
