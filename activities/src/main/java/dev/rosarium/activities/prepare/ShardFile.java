package dev.rosarium.activities.prepare;

import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.tokenize.TokenizedExample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One token shard: little-endian int32 values only. A header {@code magic, version, rows}, then per
 * row {@code label, inputLength, typeLength, targetLength} followed by the input ids, the token
 * type ids and the target ids. Rows are in split order; shard {@code k} of a split holds rows
 * {@code k * rowsPerShard} onwards.
 */
final class ShardFile {
    /** "RTOK" read as a little-endian int32. */
    static final int MAGIC = 0x4B4F5452;
    static final int VERSION = 1;
    static final int HEADER_BYTES = 12;

    private ShardFile() {
    }

    static String name(String split, int shard) {
        return String.format(Locale.ROOT, "%s-%05d.bin", split, shard);
    }

    static long bytes(List<TokenizedExample> rows) {
        long n = HEADER_BYTES;
        for (TokenizedExample r : rows) {
            n += 4L * (4 + r.inputIds().length + r.tokenTypeIds().length + r.targetIds().length);
        }
        return n;
    }

    /** Writes the rows atomically (a retried writer replaces its own earlier attempt). */
    static void write(Path file, List<TokenizedExample> rows) throws IOException {
        long size = bytes(rows);
        if (size > Integer.MAX_VALUE) {
            throw new IOException(file + ": " + size + " bytes, more than one shard may hold");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(rows.size());
        for (TokenizedExample r : rows) {
            b.putInt(r.label()).putInt(r.inputIds().length).putInt(r.tokenTypeIds().length).putInt(r.targetIds().length);
            for (int[] a : new int[][] {r.inputIds(), r.tokenTypeIds(), r.targetIds()}) {
                for (int v : a) {
                    b.putInt(v);
                }
            }
        }
        b.flip();
        AtomicFiles.write(file, ch -> {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /** The row count a shard's header states, after checking magic and version. */
    static int headerRows(ByteBuffer data, String file) throws IOException {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_BYTES) {
            throw new IOException(file + ": " + b.remaining() + " bytes, shorter than the " + HEADER_BYTES
                    + "-byte header");
        }
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new IOException(file + ": header field 'magic' = 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(MAGIC) + " (not a token shard)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IOException(file + ": header field 'version' = " + version + ", expected " + VERSION);
        }
        int rows = b.getInt();
        if (rows < 0) {
            throw new IOException(file + ": header field 'rows' = " + rows + ", expected a count");
        }
        return rows;
    }

    /** Every row of a shard, checking that the lengths fit the file exactly. */
    static List<TokenizedExample> read(ByteBuffer data, String file) throws IOException {
        int rows = headerRows(data, file);
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + HEADER_BYTES);
        List<TokenizedExample> out = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            if (b.remaining() < 16) {
                throw new IOException(file + ": row " + i + " of " + rows + ": the file ends inside its lengths");
            }
            int label = b.getInt();
            int[] lengths = {b.getInt(), b.getInt(), b.getInt()};
            long need = 0;
            for (int len : lengths) {
                if (len < 0) {
                    throw new IOException(file + ": row " + i + ": negative length " + len);
                }
                need += 4L * len;
            }
            if (need > b.remaining()) {
                throw new IOException(file + ": row " + i + ": lengths need " + need + " bytes, " + b.remaining()
                        + " are left");
            }
            int[][] parts = new int[3][];
            for (int k = 0; k < 3; k++) {
                parts[k] = new int[lengths[k]];
                b.asIntBuffer().get(parts[k]);
                b.position(b.position() + 4 * lengths[k]);
            }
            try {
                out.add(new TokenizedExample(parts[0], parts[1], label, parts[2]));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": row " + i + ": " + e.getMessage(), e);
            }
        }
        if (b.hasRemaining()) {
            throw new IOException(file + ": " + b.remaining() + " bytes after the last of " + rows + " rows");
        }
        return out;
    }
}
