package dev.rosarium.kernels;

import dev.rosarium.core.adapters.SparseMask;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SddmmPlanTest {
    @Test
    void everyNonZeroAppearsOnceInItsSlabAndPanelRowByRow() {
        int rows = 70;
        int cols = 90;
        SparseMask mask = SparseMask.random(rows, cols, 0.1, new Random(3));
        int[] rowOffs = mask.rowOffs();
        int[] colIdx = mask.colIdx();
        SddmmPlan plan = SddmmPlan.of(rowOffs, colIdx, rows, cols, 32, 48);
        assertEquals(3, plan.slabs());
        assertEquals(2, plan.panels());
        int[] seen = new int[colIdx.length];
        for (int s = 0; s < plan.slabs(); s++) {
            for (int p = 0; p < plan.panels(); p++) {
                int previousRow = -1;
                for (int e = plan.offsets()[s * plan.panels() + p]; e < plan.offsets()[s * plan.panels() + p + 1]; e++) {
                    int k = plan.entries()[2 * e];
                    int row = s * 32 + (plan.entries()[2 * e + 1] >>> 16);
                    int col = p * 48 + (plan.entries()[2 * e + 1] & 0xffff);
                    seen[k]++;
                    assertTrue(k >= rowOffs[row] && k < rowOffs[row + 1], "entry " + e + " is in row " + row);
                    assertEquals(colIdx[k], col, "entry " + e);
                    assertTrue(row >= previousRow, "rows in order within a (slab, panel)");
                    previousRow = row;
                }
            }
        }
        for (int k = 0; k < seen.length; k++) {
            assertEquals(1, seen[k], "non-zero " + k);
        }
        assertEquals(colIdx.length, plan.offsets()[plan.offsets().length - 1]);
    }

    @Test
    void aColumnOutsideTheMatrixIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SddmmPlan.of(new int[] {0, 1, 2}, new int[] {3, 9}, 2, 8, 16, 16));
        assertTrue(e.getMessage().contains("column index 9 of non-zero 1"), e.getMessage());
    }
}
