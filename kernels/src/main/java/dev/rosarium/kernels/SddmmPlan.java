package dev.rosarium.kernels;

import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.util.Arrays;

/**
 * The work list of the tensor-core SDDMM ({@code k_sddmm_tc}) for one mask, built once on the host
 * and kept on the device while the mask lives. The mask is cut into {@value #TILE} x {@value #TILE}
 * tiles; in each tile, every block of {@value #ITEM_ROWS} rows contributes "items": its columns
 * with at least one non-zero, {@value #ITEM_COLS} at a time, one MMA tile each. An item lists its
 * non-zeros as (row in item, column slot, output index). A unit is one thread block's share: a
 * tile's items, at most {@value #UNIT_ITEMS} of them ({@code STC_WARPS x STC_MAXI} in the kernel).
 */
final class SddmmPlan implements AutoCloseable {
    static final int TILE = 512;
    static final int ITEM_ROWS = 16;
    static final int ITEM_COLS = 8;
    static final int UNIT_ITEMS = 256;
    /** Output indices share a word with the row (4 bits) and slot (3 bits) of their entry. */
    static final int MAX_NNZ = 1 << 25;

    final int units;
    final int items;
    final Tensor unitTable;
    final Tensor itemRb;
    final Tensor itemCols;
    final Tensor itemEntry;
    final Tensor entries;

    private SddmmPlan(int units, int items, Tensor unitTable, Tensor itemRb, Tensor itemCols, Tensor itemEntry,
                      Tensor entries) {
        this.units = units;
        this.items = items;
        this.unitTable = unitTable;
        this.itemRb = itemRb;
        this.itemCols = itemCols;
        this.itemEntry = itemEntry;
        this.entries = entries;
    }

    /** A growable int array: plans have millions of entries, boxed lists would not do. */
    private static final class Ints {
        int[] a = new int[64];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** One tile's items, in row-block order (so a warp reloads its A fragment only when the block changes). */
    private static final class TileItems {
        final Ints rb = new Ints();
        final Ints cols = new Ints();
        final Ints entryCount = new Ints();
        final Ints entries = new Ints();
    }

    /**
     * The plan's tables on the host. {@code units}: (row0, col0, first item, item count) a unit;
     * {@code itemRb}: the item's 16-row block within its tile; {@code itemCols}: its 8 tile-local
     * columns, two 16-bit halves a word; {@code itemEntry}: offsets into {@code entries}, each
     * {@code row in item | slot << 4 | output index << 7}.
     */
    record Layout(int[] units, int[] itemRb, int[] itemCols, int[] itemEntry, int[] entries) {
    }

    static SddmmPlan build(CudaBackend be, int[] rowOffs, int[] colIdx, int n, int m) {
        Layout l = layout(rowOffs, colIdx, n, m);
        return new SddmmPlan(l.units().length / 4, l.itemRb().length, be.fromInts(l.units(), DType.I32, l.units().length),
                be.fromInts(l.itemRb(), DType.I32, l.itemRb().length), be.fromInts(l.itemCols(), DType.I32, l.itemCols().length),
                be.fromInts(l.itemEntry(), DType.I32, l.itemEntry().length),
                be.fromInts(l.entries(), DType.I32, l.entries().length));
    }

    /** The plan of a non-empty CSR mask of {@code n x m}. */
    static Layout layout(int[] rowOffs, int[] colIdx, int n, int m) {
        int nnz = colIdx.length;
        if (nnz == 0 || nnz >= MAX_NNZ) {
            throw new IllegalArgumentException("the tensor-core SDDMM takes 1 to " + (MAX_NNZ - 1) + " non-zeros, not " + nnz);
        }
        int tilesR = (n + TILE - 1) / TILE;
        int tilesC = (m + TILE - 1) / TILE;
        TileItems[] tiles = new TileItems[tilesR * tilesC];
        for (int i = 0; i < tiles.length; i++) {
            tiles[i] = new TileItems();
        }
        long[] keys = new long[0];
        for (int rb = 0; rb * ITEM_ROWS < n; rb++) {
            int r0 = rb * ITEM_ROWS;
            int r1 = Math.min(n, r0 + ITEM_ROWS);
            int count = rowOffs[r1] - rowOffs[r0];
            if (count == 0) {
                continue;
            }
            if (keys.length < count) {
                keys = new long[Math.max(count, keys.length * 2)];
            }
            // sorted by column, then row: a column's non-zeros in this block become one item slot
            int c = 0;
            for (int r = r0; r < r1; r++) {
                for (int k = rowOffs[r]; k < rowOffs[r + 1]; k++) {
                    keys[c++] = ((long) colIdx[k] << 36) | ((long) (r - r0) << 32) | k;
                }
            }
            Arrays.sort(keys, 0, count);
            int tr = r0 / TILE;
            int rbLocal = (r0 % TILE) / ITEM_ROWS;
            int e = 0;
            while (e < count) {
                int tc = (int) (keys[e] >>> 36) / TILE;
                TileItems tile = tiles[tr * tilesC + tc];
                // the columns of this tile in this block, ITEM_COLS to an item
                int slot = -1;
                int lastCol = -1;
                int[] itemCols = new int[ITEM_COLS];
                int entriesInItem = 0;
                while (e < count && (int) (keys[e] >>> 36) / TILE == tc) {
                    int col = (int) (keys[e] >>> 36);
                    if (col != lastCol) {
                        if (slot == ITEM_COLS - 1) {
                            addItem(tile, rbLocal, itemCols, slot + 1, entriesInItem);
                            slot = -1;
                            entriesInItem = 0;
                        }
                        slot++;
                        itemCols[slot] = col - tc * TILE;
                        lastCol = col;
                    }
                    int row = (int) ((keys[e] >>> 32) & 0xf);
                    int k = (int) keys[e];
                    tile.entries.add(row | slot << 4 | k << 7);
                    entriesInItem++;
                    e++;
                }
                addItem(tile, rbLocal, itemCols, slot + 1, entriesInItem);
            }
        }
        return flatten(tiles, tilesC, nnz);
    }

    private static void addItem(TileItems tile, int rbLocal, int[] cols, int used, int entries) {
        tile.rb.add(rbLocal);
        for (int q = 0; q < ITEM_COLS; q += 2) {
            // unused slots repeat the first column: the kernel reads them, no entry writes them
            int lo = q < used ? cols[q] : cols[0];
            int hi = q + 1 < used ? cols[q + 1] : cols[0];
            tile.cols.add(lo | hi << 16);
        }
        tile.entryCount.add(entries);
    }

    private static Layout flatten(TileItems[] tiles, int tilesC, int nnz) {
        Ints unitTable = new Ints();
        Ints rb = new Ints();
        Ints cols = new Ints();
        Ints entryStart = new Ints();
        Ints entries = new Ints();
        int items = 0;
        entryStart.add(0);
        for (int t = 0; t < tiles.length; t++) {
            TileItems tile = tiles[t];
            int count = tile.rb.size;
            if (count == 0) {
                continue;
            }
            // balanced units: a tile of 300 items runs as two blocks of 150, not 256 and 44
            int parts = (count + UNIT_ITEMS - 1) / UNIT_ITEMS;
            for (int p = 0; p < parts; p++) {
                int from = (int) ((long) count * p / parts);
                int to = (int) ((long) count * (p + 1) / parts);
                unitTable.add((t / tilesC) * TILE);
                unitTable.add((t % tilesC) * TILE);
                unitTable.add(items + from);
                unitTable.add(to - from);
            }
            int e = 0;
            for (int i = 0; i < count; i++) {
                rb.add(tile.rb.a[i]);
                for (int q = 0; q < ITEM_COLS / 2; q++) {
                    cols.add(tile.cols.a[i * (ITEM_COLS / 2) + q]);
                }
                for (int j = 0; j < tile.entryCount.a[i]; j++) {
                    entries.add(tile.entries.a[e++]);
                }
                entryStart.add(entries.size);
            }
            items += count;
        }
        if (entries.size != nnz) {
            throw new IllegalStateException("SDDMM plan covers " + entries.size + " of " + nnz + " non-zeros");
        }
        return new Layout(unitTable.toArray(), rb.toArray(), cols.toArray(), entryStart.toArray(), entries.toArray());
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {unitTable, itemRb, itemCols, itemEntry, entries}) {
            t.close();
        }
    }
}
