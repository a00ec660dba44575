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
        return pad(rows.stream().map(TokenizedExample::inputIds).toList(),
                rows.stream().map(TokenizedExample::tokenTypeIds).toList(), padId);
    }

    /** Rows of ids with their type ids (an empty array: all 0), right-padded with {@code padId} to the longest. */
    public static TokenizedBatch pad(List<int[]> rowIds, List<int[]> rowTypeIds, int padId) {
        int n = rowIds.size();
        int seq = 0;
        for (int[] r : rowIds) {
            seq = Math.max(seq, r.length);
        }
        int[] ids = new int[n * seq];
        int[] types = new int[n * seq];
        int[] mask = new int[n * seq];
        Arrays.fill(ids, padId);
        for (int i = 0; i < n; i++) {
            int[] id = rowIds.get(i);
            System.arraycopy(id, 0, ids, i * seq, id.length);
            if (rowTypeIds.get(i).length > 0) {
                System.arraycopy(rowTypeIds.get(i), 0, types, i * seq, id.length);
            }
            Arrays.fill(mask, i * seq, i * seq + id.length, 1);
        }
        return new TokenizedBatch(n, seq, ids, types, mask);
    }
}
