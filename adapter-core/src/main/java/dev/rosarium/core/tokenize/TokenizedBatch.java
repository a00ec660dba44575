package dev.rosarium.core.tokenize;

import java.util.Arrays;
import java.util.List;

/**
 * A right-padded batch of token ids, row-major {@code (batch, seq)}: ids, token type ids and the
 * attention mask (1 for real tokens, 0 for padding).
 */
public record TokenizedBatch(int batch, int seq, int[] ids, int[] typeIds, int[] mask) {
    /** The examples' input ids right-padded with {@code padId} to the longest; missing type ids are 0. */
    public static TokenizedBatch pad(List<TokenizedExample> rows, int padId) {
        int n = rows.size();
        int seq = 0;
        for (TokenizedExample r : rows) {
            seq = Math.max(seq, r.inputIds().length);
        }
        int[] ids = new int[n * seq];
        int[] types = new int[n * seq];
        int[] mask = new int[n * seq];
        Arrays.fill(ids, padId);
        for (int i = 0; i < n; i++) {
            TokenizedExample r = rows.get(i);
            int[] id = r.inputIds();
            System.arraycopy(id, 0, ids, i * seq, id.length);
            if (r.tokenTypeIds().length > 0) {
                System.arraycopy(r.tokenTypeIds(), 0, types, i * seq, id.length);
            }
            Arrays.fill(mask, i * seq, i * seq + id.length, 1);
        }
        return new TokenizedBatch(n, seq, ids, types, mask);
    }
}
