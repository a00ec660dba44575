package dev.rosarium.kernels;

import java.util.Arrays;

/**
 * The order in which the tiled SDDMM kernel ({@code k_sddmm_tiles}) visits a mask's non-zeros. The
 * output rows are cut into slabs of {@code slabRows} and the input columns into panels of
 * {@code panelCols}; the non-zeros of each (slab, panel) are listed together, as two ints each: the
 * non-zero's CSR index (-1 for padding) and {@code rowInSlab << 16 | columnInPanel}.
 * {@code offsets[s * panels + p]} is where (slab s, panel p) starts.
 *
 * <p>Each load of the kernel takes one entry a lane, and the 8 lanes of a quarter-warp load their
 * rows of dO and X together, chunk by chunk in the same order. Shared memory keeps chunk c of row r at
 * position {@code c ^ (r & 7)}, so those 8 loads hit distinct banks when the 8 entries have distinct
 * {@code row & 7} and distinct {@code column & 7}. Each (slab, panel) is therefore listed in runs of 8 with that
 * property, entry i of a run having {@code row & 7 == i}. The runs are built first-fit, which on
 * RoSA masks needs about as many runs as the most frequent residue has non-zeros: 92% of the slots
 * are used at 4800 non-zeros a (slab, panel). Empty slots get padding with the missing residues.
 * Built once per mask on the host, as a RoSA mask stays fixed over training.
 */
record SddmmPlan(int slabRows, int panelCols, int slabs, int panels, int[] entries, int[] offsets) {
    /** Entries a run: the lanes of a quarter-warp. */
    static final int RUN = 8;

    static SddmmPlan of(int[] rowOffs, int[] colIdx, int rows, int cols, int slabRows, int panelCols) {
        // padding takes rows and columns 0..7 of a tile, so every tile has at least 8 of each
        // the kernel reads the slab row as the signed high half of an int
        if (slabRows > 1 << 15 || panelCols > 1 << 16 || (slabRows | panelCols | rows | cols) % RUN != 0) {
            throw new IllegalArgumentException("SDDMM plan: " + rows + " x " + cols + " in slabs of " + slabRows
                    + " and panels of " + panelCols + ": each must be a multiple of 8, slabs at most 32768 rows and "
                    + "panels 65536 columns");
        }
        int slabs = (rows + slabRows - 1) / slabRows;
        int panels = (cols + panelCols - 1) / panelCols;
        int[] offsets = new int[slabs * panels + 1];
        IntList entries = new IntList(2 * colIdx.length + 2 * RUN * slabs * panels);
        int[][] unit = new int[panels][];
        int[] unitSize = new int[panels];
        for (int s = 0; s < slabs; s++) {
            int r0 = s * slabRows;
            int r1 = Math.min(rows, r0 + slabRows);
            Arrays.fill(unitSize, 0);
            for (int r = r0; r < r1; r++) {
                for (int k = rowOffs[r]; k < rowOffs[r + 1]; k++) {
                    int p = panel(colIdx[k], cols, panelCols, k);
                    if (unit[p] == null || unit[p].length == unitSize[p]) {
                        unit[p] = Arrays.copyOf(unit[p] == null ? new int[0] : unit[p], Math.max(64, 2 * unitSize[p]));
                    }
                    unit[p][unitSize[p]++] = k;
                }
            }
            for (int p = 0; p < panels; p++) {
                offsets[s * panels + p] = entries.size() / 2;
                addRuns(unit[p], unitSize[p], rowOffs, colIdx, r0, p * panelCols, entries);
            }
        }
        offsets[slabs * panels] = entries.size() / 2;
        return new SddmmPlan(slabRows, panelCols, slabs, panels, entries.toArray(), offsets);
    }

    /**
     * First-fit into runs: a non-zero goes into the first run where its row residue and its column
     * residue are both free. A run never frees a residue, so the first run worth
     * trying for a residue pair only moves forward ({@code hint}).
     */
    private static void addRuns(int[] ks, int count, int[] rowOffs, int[] colIdx, int r0, int c0, IntList out) {
        if (count == 0) {
            return;
        }
        int[] slot = new int[RUN * count];
        Arrays.fill(slot, -1);
        byte[] rowsTaken = new byte[count];
        byte[] colsTaken = new byte[count];
        int[] hint = new int[RUN * RUN];
        int[] rowOf = new int[count];
        int runs = 0;
        int row = r0;
        for (int i = 0; i < count; i++) {
            int k = ks[i];
            while (rowOffs[row + 1] <= k) {
                row++;
            }
            rowOf[i] = row - r0;
            int a = rowOf[i] & 7;
            int b = (colIdx[k] - c0) & 7;
            int j = hint[a * RUN + b];
            while (j < runs && ((rowsTaken[j] >> a & 1) | (colsTaken[j] >> b & 1)) != 0) {
                j++;
            }
            hint[a * RUN + b] = j;
            runs = Math.max(runs, j + 1);
            rowsTaken[j] |= (byte) (1 << a);
            colsTaken[j] |= (byte) (1 << b);
            slot[j * RUN + a] = i;
        }
        for (int j = 0; j < runs; j++) {
            int freeCols = ~colsTaken[j] & 0xff;
            for (int a = 0; a < RUN; a++) {
                int i = slot[j * RUN + a];
                if (i >= 0) {
                    out.add(ks[i]);
                    out.add(rowOf[i] << 16 | (colIdx[ks[i]] - c0));
                } else {
                    // padding: row a and a column of an unused residue
                    int b = Integer.numberOfTrailingZeros(freeCols);
                    freeCols &= freeCols - 1;
                    out.add(-1);
                    out.add(a << 16 | b);
                }
            }
        }
    }

    private static int panel(int col, int cols, int panelCols, int k) {
        if (col < 0 || col >= cols) {
            throw new IllegalArgumentException("SDDMM plan: column index " + col + " of non-zero " + k
                    + " is outside 0.." + (cols - 1));
        }
        return col / panelCols;
    }

    /** A growable int array (the plan of a 7B model holds ~80M ints). */
    private static final class IntList {
        private int[] data;
        private int size;

        IntList(int capacity) {
            data = new int[Math.max(16, capacity)];
        }

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, data.length + (data.length >> 1));
            }
            data[size++] = v;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
