package dev.rosarium.kernels;

/**
 * The order in which the tiled SDDMM kernel ({@code k_sddmm_tiles}) visits a mask's non-zeros: the
 * output rows cut into slabs of {@code slabRows}, the input columns into panels of {@code panelCols},
 * and the non-zeros of each (slab, panel) listed together, row by row, as two ints each: the
 * non-zero's CSR index and {@code rowInSlab << 16 | columnInPanel}. {@code offsets[s * panels + p]}
 * is where (slab s, panel p) starts. Built once per mask on the host, as a RoSA mask stays fixed
 * over training.
 */
record SddmmPlan(int slabRows, int panelCols, int slabs, int panels, int[] entries, int[] offsets) {

    static SddmmPlan of(int[] rowOffs, int[] colIdx, int rows, int cols, int slabRows, int panelCols) {
        if (slabRows > 1 << 16 || panelCols > 1 << 16) {
            throw new IllegalArgumentException("SDDMM plan: slab " + slabRows + " x panel " + panelCols
                    + " does not fit 16-bit coordinates");
        }
        int slabs = (rows + slabRows - 1) / slabRows;
        int panels = (cols + panelCols - 1) / panelCols;
        int nnz = colIdx.length;
        int[] entries = new int[2 * nnz];
        int[] offsets = new int[slabs * panels + 1];
        int[] fill = new int[panels];
        for (int s = 0; s < slabs; s++) {
            int r0 = s * slabRows;
            int r1 = Math.min(rows, r0 + slabRows);
            int base = rowOffs[r0];
            java.util.Arrays.fill(fill, 0);
            for (int k = base; k < rowOffs[r1]; k++) {
                fill[panel(colIdx[k], cols, panelCols, k)]++;
            }
            for (int p = 0; p < panels; p++) {
                int start = base;
                base += fill[p];
                offsets[s * panels + p] = start;
                fill[p] = start;
            }
            for (int r = r0; r < r1; r++) {
                for (int k = rowOffs[r]; k < rowOffs[r + 1]; k++) {
                    int p = panel(colIdx[k], cols, panelCols, k);
                    int at = fill[p]++;
                    entries[2 * at] = k;
                    entries[2 * at + 1] = (r - r0) << 16 | (colIdx[k] - p * panelCols);
                }
            }
        }
        offsets[slabs * panels] = nnz;
        return new SddmmPlan(slabRows, panelCols, slabs, panels, entries, offsets);
    }

    private static int panel(int col, int cols, int panelCols, int k) {
        if (col < 0 || col >= cols) {
            throw new IllegalArgumentException("SDDMM plan: column index " + col + " of non-zero " + k
                    + " is outside 0.." + (cols - 1));
        }
        return col / panelCols;
    }
}
