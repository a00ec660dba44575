package dev.rosarium.core.tokenize;

/**
 * A right-padded batch of token ids, row-major {@code (batch, seq)}: ids, token type ids and the
 * attention mask (1 for real tokens, 0 for padding).
 */
public record TokenizedBatch(int batch, int seq, int[] ids, int[] typeIds, int[] mask) {
}
