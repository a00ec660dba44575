package dev.rosarium.activities.tracking;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The durable local queue of tracking events: a directory of segments (see {@link OutboxSegment}),
 * one written by each live process, plus {@code rejected.jsonl} for events the server refused. An
 * append is on disk (forced) before the call returns; shipping reads the segments in creation
 * order and deletes each one once the server has all of it, so an empty outbox holds no segment.
 */
final class Outbox implements AutoCloseable {
    static final String REJECTED = "rejected.jsonl";
    /** A writer starts a new segment past this size, so shipped history can be deleted while it runs. */
    private static final long ROLL_BYTES = 8L << 20;
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final Path dir;
    /** Segments this outbox holds the lock of, oldest first; the last may be {@link #active}. */
    private final List<OutboxSegment> held = new ArrayList<>();
    private OutboxSegment active;
    private boolean closed;

    private Outbox(Path dir) {
        this.dir = dir;
    }

    static Outbox open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot create the tracking outbox directory " + dir, ex);
        }
        return new Outbox(dir);
    }

    Path directory() {
        return dir;
    }

    synchronized void append(TrackingEvent event) {
        if (closed) {
            throw new IllegalStateException("the tracker is closed; outbox " + dir);
        }
        String line = EventJson.encode(event);
        try {
            if (active == null || active.written() > ROLL_BYTES) {
                String name = String.format("%s%013d-%d-%d%s", OutboxSegment.PREFIX, System.currentTimeMillis(),
                        ProcessHandle.current().pid(), SEQUENCE.incrementAndGet(), OutboxSegment.SUFFIX);
                active = OutboxSegment.create(dir.resolve(name));
                held.add(active);
            }
            active.append(line);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot append to the tracking outbox " + dir, ex);
        }
    }

    /**
     * The segments to ship now, oldest first: this process's own, and those left behind by ended
     * processes (claimed here: their lock is taken until they are shipped or this outbox closes).
     */
    synchronized List<OutboxSegment> shippable() throws IOException {
        for (Path p : segmentFiles()) {
            if (held.stream().noneMatch(s -> s.file().equals(p))) {
                OutboxSegment orphan = OutboxSegment.claim(p);
                if (orphan != null) {
                    held.add(orphan);
                }
            }
        }
        held.sort(Comparator.comparing(s -> s.file().getFileName().toString()));
        return List.copyOf(held);
    }

    /** Deletes a segment once the server has all of it; the active one only if nothing came in since. */
    synchronized void retireIfShipped(OutboxSegment s) throws IOException {
        if (!s.fullyShipped() || !held.contains(s)) {
            return;
        }
        held.remove(s);
        if (s == active) {
            active = null;
        }
        s.delete();
    }

    /** Events not yet shipped, in every segment of the directory (held here or elsewhere). */
    synchronized long pendingEvents() throws IOException {
        long n = 0;
        for (Path p : segmentFiles()) {
            OutboxSegment mine = held.stream().filter(s -> s.file().equals(p)).findFirst().orElse(null);
            try {
                long from = mine != null ? mine.acked() : OutboxSegment.readCursor(p);
                long to = mine != null ? mine.written() : Files.size(p);
                n += countLines(p, from, to);
            } catch (NoSuchFileException shippedMeanwhile) {
                // Another process finished and deleted it.
            }
        }
        return n;
    }

    /** Segment files that another live process holds (it ships them itself). */
    synchronized int heldElsewhere() throws IOException {
        int n = 0;
        for (Path p : segmentFiles()) {
            if (held.stream().noneMatch(s -> s.file().equals(p))) {
                n++;
            }
        }
        return n;
    }

    /** Keeps an event the server refused, with the reason, for a person to look at. */
    synchronized void reject(String eventLine, String reason) {
        JsonObject o = new JsonObject();
        o.addProperty("rejected_at", System.currentTimeMillis());
        o.addProperty("reason", reason);
        o.addProperty("event", eventLine);
        try {
            Files.writeString(dir.resolve(REJECTED), o + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + dir.resolve(REJECTED), ex);
        }
    }

    private List<Path> segmentFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(OutboxSegment::isSegment).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private static long countLines(Path p, long from, long to) throws IOException {
        if (to <= from) {
            return 0;
        }
        byte[] all;
        try {
            all = Files.readAllBytes(p);
        } catch (NoSuchFileException shippedMeanwhile) {
            return 0;
        }
        long n = 0;
        for (long i = from; i < Math.min(to, all.length); i++) {
            if (all[(int) i] == '\n') {
                n++;
            }
        }
        return n;
    }

    /** Releases the segments; what is not shipped stays on disk for the next process or {@code rosarium sync}. */
    @Override
    public synchronized void close() throws IOException {
        closed = true;
        for (OutboxSegment s : held) {
            if (s.fullyShipped()) {
                s.delete();
            } else {
                s.close();
            }
        }
        held.clear();
        active = null;
    }
}
