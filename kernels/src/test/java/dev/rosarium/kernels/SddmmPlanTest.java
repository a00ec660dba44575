package dev.rosarium.kernels;

import dev.rosarium.core.adapters.SparseMask;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tensor-core SDDMM's work list, checked without a GPU: running the kernel's arithmetic over
 * the plan on the host (each item a 16 x 8 block of dot products, its entries written out) must
 * write every non-zero exactly once with the masked {@code a^T b}, in units the kernel can hold.
 */
class SddmmPlanTest {
    @Test
    void randomMaskOverSeveralTilesIsCoveredExactly() {
        checkPlan(1040, 600, randomMask(1040, 600, 3744, 1), 24);
    }

    @Test
    void denseRowsEmptyRowsAndAPartialRowBlock() {
        int n = 536;
        int m = 1032;
        // row 3 full (129 items of 8 columns in its blocks), rows 100..300 empty, the rest 2%
        Random r = new Random(2);
        int[] flat = IntStream.range(0, n * m).filter(e -> {
            int row = e / m;
            return row == 3 || (row < 100 || row > 300) && r.nextDouble() < 0.02;
        }).toArray();
        checkPlan(n, m, SparseMask.fromFlatIndices(n, m, flat), 16);
    }

    @Test
    void aTileWithMoreItemsThanABlockHoldsIsSplitEvenly() {
        // 512 x 512 at 25%: far more than 256 items in one tile
        SparseMask mask = randomMask(512, 512, 65536, 3);
        SddmmPlan.Layout l = checkPlan(512, 512, mask, 8);
        int units = l.units().length / 4;
        assertTrue(units > 1, "one tile's items over several units");
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int u = 0; u < units; u++) {
            min = Math.min(min, l.units()[u * 4 + 3]);
            max = Math.max(max, l.units()[u * 4 + 3]);
        }
        assertTrue(max - min <= 1, "balanced units: " + min + " to " + max + " items");
    }

    @Test
    void tokenRangesAreSplitToFillWholeWavesOfBlocks() {
        // 64 tiles on 132 multiprocessors: two ranges of 32 chunks make one wave (four would make two)
        assertEquals(32, CudaBackend.chunksPerSplit(64, 64, 132));
        // 16 tiles: eight ranges of 16 chunks, 128 blocks
        assertEquals(16, CudaBackend.chunksPerSplit(16, 128, 132));
        // more tiles than multiprocessors and few chunks: no split
        assertEquals(4, CudaBackend.chunksPerSplit(500, 4, 132));
    }

    private static SparseMask randomMask(int n, int m, int nnz, long seed) {
        int[] flat = new Random(seed).ints(0, n * m).distinct().limit(nnz).sorted().toArray();
        return SparseMask.fromFlatIndices(n, m, flat);
    }

    private static SddmmPlan.Layout checkPlan(int n, int m, SparseMask mask, int tokens) {
        Random r = new Random(4);
        float[][] a = new float[tokens][n];
        float[][] b = new float[tokens][m];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < n; i++) {
                a[t][i] = r.nextFloat() - 0.5f;
            }
            for (int j = 0; j < m; j++) {
                b[t][j] = r.nextFloat() - 0.5f;
            }
        }
        SddmmPlan.Layout l = SddmmPlan.layout(mask.rowOffs(), mask.colIdx(), n, m);
        int nnz = mask.nnz();
        float[] out = new float[nnz];
        int[] writes = new int[nnz];
        for (int u = 0; u < l.units().length / 4; u++) {
            int row0 = l.units()[u * 4];
            int col0 = l.units()[u * 4 + 1];
            int first = l.units()[u * 4 + 2];
            int count = l.units()[u * 4 + 3];
            assertTrue(count >= 1 && count <= SddmmPlan.UNIT_ITEMS, "unit of " + count + " items");
            for (int item = first; item < first + count; item++) {
                int rowBase = row0 + l.itemRb()[item] * SddmmPlan.ITEM_ROWS;
                int[] cols = new int[SddmmPlan.ITEM_COLS];
                for (int q = 0; q < SddmmPlan.ITEM_COLS; q++) {
                    int w = l.itemCols()[item * 4 + q / 2];
                    cols[q] = col0 + (q % 2 == 0 ? w & 0xffff : w >>> 16);
                    assertTrue(cols[q] < m, "column inside the matrix");
                }
                for (int e = l.itemEntry()[item]; e < l.itemEntry()[item + 1]; e++) {
                    int en = l.entries()[e];
                    int row = rowBase + (en & 15);
                    int col = cols[(en >>> 4) & 7];
                    int k = en >>> 7;
                    float s = 0;
                    for (int t = 0; t < tokens; t++) {
                        s += a[t][row] * b[t][col];
                    }
                    out[k] = s;
                    writes[k]++;
                }
            }
        }
        int[] ro = mask.rowOffs();
        int[] ci = mask.colIdx();
        for (int row = 0; row < n; row++) {
            for (int k = ro[row]; k < ro[row + 1]; k++) {
                assertEquals(1, writes[k], "non-zero " + k + " written once");
                float s = 0;
                for (int t = 0; t < tokens; t++) {
                    s += a[t][row] * b[t][ci[k]];
                }
                assertEquals(s, out[k], 0f, "non-zero (" + row + ", " + ci[k] + ")");
            }
        }
        return l;
    }
}
