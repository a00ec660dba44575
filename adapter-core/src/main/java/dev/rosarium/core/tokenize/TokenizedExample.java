package dev.rosarium.core.tokenize;

/**
 * One example after tokenization, as the prepared token shards store it: input ids, token type ids
 * (empty when the tokenizer has none), the class label ({@code -1} for generative tasks) and the
 * answer ids of a generative task (empty for classification).
 */
public record TokenizedExample(int[] inputIds, int[] tokenTypeIds, int label, int[] targetIds) {
}
