package dev.rosarium.activities.tracking;

import dev.rosarium.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One outbox file: JSON lines appended by a single writer, and a cursor file ({@code <name>.acked})
 * holding the byte offset up to which the events have reached the server. The segment is locked
 * (an OS file lock) by the process that writes or ships it, so a segment whose lock can be taken
 * belongs to a process that has ended and may be shipped by anyone.
 */
final class OutboxSegment implements AutoCloseable {
    static final String PREFIX = "segment-";
    static final String SUFFIX = ".jsonl";

    /**
     * Segments held by this JVM. A second channel on a held file must never be opened: closing it
     * would release the holder's OS lock (POSIX locks belong to the process, not the channel).
     */
    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    /** One line of the segment: the event (or why it could not be read) and the offset after it. */
    record Line(TrackingEvent event, String text, String error, long endOffset) {
    }

    private final Path file;
    private final Path cursor;
    private final FileChannel channel;
    private final FileLock lock;
    private volatile long written;
    private volatile long acked;
    private boolean torn;

    private OutboxSegment(Path file, FileChannel channel, FileLock lock, long written, long acked) {
        this.file = file;
        this.cursor = cursorOf(file);
        this.channel = channel;
        this.lock = lock;
        this.written = written;
        this.acked = acked;
    }

    static boolean isSegment(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(PREFIX) && n.endsWith(SUFFIX);
    }

    static Path cursorOf(Path segment) {
        return segment.resolveSibling(segment.getFileName() + ".acked");
    }

    /**
     * A new segment for this process to append to. It is created and locked under a hidden name and
     * then renamed, so no other process can see it unlocked (and take it for an empty orphan).
     */
    static OutboxSegment create(Path file) throws IOException {
        Path hidden = file.resolveSibling("." + file.getFileName() + ".new");
        FileChannel ch = FileChannel.open(hidden, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.lock();
            HELD_IN_THIS_JVM.add(file.toAbsolutePath());
            Files.move(hidden, file, StandardCopyOption.ATOMIC_MOVE);
            return new OutboxSegment(file, ch, lock, 0, 0);
        } catch (IOException | RuntimeException ex) {
            ch.close();
            HELD_IN_THIS_JVM.remove(file.toAbsolutePath());
            Files.deleteIfExists(hidden);
            throw ex;
        }
    }

    /**
     * Takes over a segment whose writer has ended; null when another process (or another outbox of
     * this JVM) still holds it, or it was shipped and deleted meanwhile.
     */
    static OutboxSegment claim(Path file) throws IOException {
        Path key = file.toAbsolutePath();
        if (!HELD_IN_THIS_JVM.add(key)) {
            return null;
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            // A shipper deletes a finished segment before it lets go of the lock: a lock taken on a
            // name that is gone belongs to a shipped segment.
            if (lock == null || !Files.exists(file)) {
                ch.close();
                HELD_IN_THIS_JVM.remove(key);
                return null;
            }
            return new OutboxSegment(file, ch, lock, ch.size(), readCursor(file));
        } catch (NoSuchFileException gone) {
            HELD_IN_THIS_JVM.remove(key);
            return null;
        } catch (IOException | RuntimeException ex) {
            if (ch != null) {
                ch.close();
            }
            HELD_IN_THIS_JVM.remove(key);
            throw ex;
        }
    }

    /** Reads the cursor of a segment without holding it (for counting what is left). */
    static long readCursor(Path segment) throws IOException {
        Path c = cursorOf(segment);
        if (!Files.exists(c)) {
            return 0;
        }
        String text = Files.readString(c, StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw new IOException(c + ": expected the byte offset of the first unshipped event, got '" + text + "'");
        }
    }

    Path file() {
        return file;
    }

    long written() {
        return written;
    }

    long acked() {
        return acked;
    }

    boolean fullyShipped() {
        return acked >= written;
    }

    /** Appends one event line and forces it to disk. Callers serialize appends. */
    void append(String jsonLine) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((jsonLine + "\n").getBytes(StandardCharsets.UTF_8));
        long pos = written;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
        channel.force(false);
        written = pos;
    }

    /**
     * The complete lines between the cursor and the end seen now, at most {@code maxBytes} of them
     * (at least one line). An incomplete last line of an ended writer (it died mid-write) is dropped
     * and reported once through {@link #tornTail()}.
     */
    List<Line> pending(int maxBytes) throws IOException {
        long from = acked;
        long to = Math.min(written, from + Math.max(maxBytes, 1));
        List<Line> out = new ArrayList<>();
        while (from < written) {
            ByteBuffer buf = ByteBuffer.allocate((int) (to - from));
            channel.read(buf, from);
            byte[] bytes = buf.array();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    String text = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                    out.add(parse(text, from + i + 1));
                    start = i + 1;
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
            if (to >= written) {
                // No newline up to the end: the writer died inside this line.
                torn = true;
                written = from;
                return out;
            }
            to = Math.min(written, to + maxBytes);
        }
        return out;
    }

    boolean tornTail() {
        return torn;
    }

    private static Line parse(String text, long end) {
        try {
            return new Line(EventJson.decode(text), text, null, end);
        } catch (IllegalArgumentException ex) {
            return new Line(null, text, ex.getMessage(), end);
        }
    }

    /** Records that everything before {@code offset} has reached the server. */
    void ack(long offset) throws IOException {
        AtomicFiles.write(cursor, Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        acked = offset;
    }

    /** Removes a fully shipped segment. */
    void delete() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(cursor);
        close();
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } finally {
            HELD_IN_THIS_JVM.remove(file.toAbsolutePath());
        }
    }
}
