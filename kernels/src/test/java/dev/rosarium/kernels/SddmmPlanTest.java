package dev.rosarium.kernels;

import dev.rosarium.core.adapters.SparseMask;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SddmmPlanTest {
    @Test
    void everyNonZeroAppearsOnceInItsSlabAndPanelInBankDistinctRuns() {
        int rows = 72;
        int cols = 88;
        SparseMask mask = SparseMask.random(rows, cols, 0.1, new Random(3));
        int[] rowOffs = mask.rowOffs();
        int[] colIdx = mask.colIdx();
        SddmmPlan plan = SddmmPlan.of(rowOffs, colIdx, rows, cols, 32, 48);
        assertEquals(3, plan.slabs());
        assertEquals(2, plan.panels());
        int[] seen = new int[colIdx.length];
        for (int s = 0; s < plan.slabs(); s++) {
            int slabRows = Math.min(32, rows - s * 32);
            for (int p = 0; p < plan.panels(); p++) {
                int start = plan.offsets()[s * plan.panels() + p];
                int end = plan.offsets()[s * plan.panels() + p + 1];
                assertEquals(0, (end - start) % SddmmPlan.RUN, "whole runs");
                for (int run = start; run < end; run += SddmmPlan.RUN) {
                    int colResidues = 0;
                    for (int e = run; e < run + SddmmPlan.RUN; e++) {
                        int k = plan.entries()[2 * e];
                        int local = plan.entries()[2 * e + 1];
                        int row = local >>> 16;
                        int col = local & 0xffff;
                        assertEquals(e - run, row & 7, "entry " + e + ": a run's i-th entry has row residue i");
                        colResidues |= 1 << (col & 7);
                        assertTrue(row < slabRows && col < Math.min(48, cols - p * 48), "entry " + e + " inside its tile");
                        if (k >= 0) {
                            seen[k]++;
                            assertTrue(k >= rowOffs[s * 32 + row] && k < rowOffs[s * 32 + row + 1], "entry " + e + " row");
                            assertEquals(colIdx[k], p * 48 + col, "entry " + e + " column");
                        }
                    }
                    assertEquals(0xff, colResidues, "run at " + run + ": column residues all distinct");
                }
            }
        }
        for (int k = 0; k < seen.length; k++) {
            assertEquals(1, seen[k], "non-zero " + k);
        }
    }

    @Test
    void runsAreMostlyFullOnARosaSizedTile() {
        SparseMask mask = SparseMask.random(1024, 784, 0.006, new Random(4));
        SddmmPlan plan = SddmmPlan.of(mask.rowOffs(), mask.colIdx(), 1024, 784, 1024, 784);
        double used = mask.nnz() / (double) (plan.entries().length / 2);
        assertTrue(used > 0.85, "slots used " + used);
    }

    /**
     * H100 (227 KB), sm_86/89 (99 KB) and a 48 KB device: slabs in multiples of 16 and panels in multiples
     * of 64 whose slab, panel and raw copy of the panel fit, or none.
     */
    @Test
    void tilesFitTheDevicesSharedMemory() {
        assertArrayEquals(new int[] {1024, 384}, CudaBackend.sddmmTile(4096, 11008, 232_448));
        assertArrayEquals(new int[] {256, 768}, CudaBackend.sddmmTile(256, 2048, 232_448));
        assertArrayEquals(new int[] {128, 128}, CudaBackend.sddmmTile(128, 72, 232_448));
        assertArrayEquals(new int[] {528, 128}, CudaBackend.sddmmTile(4096, 4096, 101_376));
        assertArrayEquals(new int[] {128, 128}, CudaBackend.sddmmTile(11008, 4096, 49_152));
        assertNull(CudaBackend.sddmmTile(4096, 4096, 4096));
        for (long shared : new long[] {232_448, 101_376, 49_152}) {
            for (int[] nm : new int[][] {{16, 16}, {48, 1200}, {5632, 2048}, {2048, 5632}}) {
                int[] t = CudaBackend.sddmmTile(nm[0], nm[1], shared);
                assertTrue(t[0] % 16 == 0 && t[1] % 64 == 0 && (t[0] + 2L * t[1]) * 128 <= shared,
                        java.util.Arrays.toString(t));
            }
        }
    }

    @Test
    void aShapeOffTheRunsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SddmmPlan.of(new int[71], new int[0], 70, 88, 32, 48));
        assertTrue(e.getMessage().contains("70 x 88 in slabs of 32"), e.getMessage());
    }

    @Test
    void aColumnOutsideTheMatrixIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SddmmPlan.of(new int[] {0, 1, 2, 2, 2, 2, 2, 2, 2}, new int[] {3, 9}, 8, 8, 16, 16));
        assertTrue(e.getMessage().contains("column index 9 of non-zero 1"), e.getMessage());
    }
}
