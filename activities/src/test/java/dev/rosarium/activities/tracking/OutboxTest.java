package dev.rosarium.activities.tracking;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox on its own: what is on disk after appends, acks, a writer's death and a torn line. */
class OutboxTest {
    private static final TrackingEvent METRICS = new TrackingEvent.LogMetrics("exp", "run", 1700000000000L, 7,
            Map.of("loss", 0.25, "nan", Double.NaN, "inf", Double.NEGATIVE_INFINITY));

    @Test
    void everyEventTypeRoundTripsThroughItsLine() {
        List<TrackingEvent> events = List.of(
                new TrackingEvent.StartRun("exp", "sweep/t0", 1, "trial 0", "sweep", Map.of("method", "rosa")),
                new TrackingEvent.StartRun("exp", "sweep", 2, "sweep", null, Map.of()),
                new TrackingEvent.LogParams("exp", "sweep/t0", 3, Map.of("lr", "1e-3")),
                METRICS,
                new TrackingEvent.SetTags("exp", "sweep/t0", 4, Map.of("k", "v")),
                new TrackingEvent.LogArtifact("exp", "sweep/t0", 5, "/tmp/a b.json", "cfg"),
                new TrackingEvent.EndRun("exp", "sweep/t0", 6, RunStatus.KILLED));
        for (TrackingEvent e : events) {
            String line = EventJson.encode(e);
            assertTrue(!line.contains("\n"), line);
            assertEquals(e, EventJson.decode(line));
        }
    }

    @Test
    void aDamagedLineIsRefusedWithTheFieldNamed() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> EventJson.decode(
                "{\"v\":1,\"type\":\"metrics\",\"exp\":\"e\",\"run\":\"r\",\"time\":1,\"step\":\"x\",\"metrics\":{}}"));
        assertTrue(ex.getMessage().contains("'step'"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> EventJson.decode(
                "{\"v\":1,\"type\":\"end_run\",\"exp\":\"e\",\"run\":\"r\",\"time\":1,\"status\":\"DONE\"}"));
        assertTrue(ex.getMessage().contains("'status'"), ex.getMessage());
    }

    @Test
    void appendedEventsAreOnDiskAndAShippedSegmentIsDeleted() throws Exception {
        Path dir = Files.createTempDirectory("outbox");
        try (Outbox outbox = Outbox.open(dir)) {
            outbox.append(METRICS);
            outbox.append(METRICS);
            assertEquals(2, outbox.pendingEvents());
            List<Path> files = segments(dir);
            assertEquals(1, files.size());
            assertEquals(2, Files.readAllLines(files.get(0)).size());

            OutboxSegment seg = outbox.shippable().get(0);
            List<OutboxSegment.Line> lines = seg.pending(1 << 20);
            assertEquals(2, lines.size());
            seg.ack(lines.get(0).endOffset());
            assertEquals(1, outbox.pendingEvents());
            assertEquals(Long.toString(lines.get(0).endOffset()),
                    Files.readString(OutboxSegment.cursorOf(files.get(0)), StandardCharsets.UTF_8));
            seg.ack(lines.get(1).endOffset());
            outbox.retireIfShipped(seg);
            assertEquals(List.of(), segments(dir));
            assertEquals(0, outbox.pendingEvents());
            outbox.append(METRICS);
            assertEquals(1, segments(dir).size(), "a new segment after the shipped one was deleted");
        }
    }

    @Test
    void aSegmentOfAnEndedWriterIsTakenOverFromItsCursorAndItsTornLastLineIsDropped() throws Exception {
        Path dir = Files.createTempDirectory("outbox");
        try (Outbox writer = Outbox.open(dir)) {
            writer.append(METRICS);
            writer.append(METRICS);
            writer.append(METRICS);
            OutboxSegment seg = writer.shippable().get(0);
            seg.ack(seg.pending(1 << 20).get(0).endOffset());
            try (Outbox other = Outbox.open(dir)) {
                assertEquals(List.of(), other.shippable(), "a live writer's segment is not taken");
                assertEquals(1, other.heldElsewhere());
            }
        }
        Path file = segments(dir).get(0);
        // The writer died halfway through a fourth line.
        Files.writeString(file, "{\"v\":1,\"type\":\"metr", StandardOpenOption.APPEND);
        try (Outbox next = Outbox.open(dir)) {
            OutboxSegment seg = next.shippable().get(0);
            List<OutboxSegment.Line> lines = seg.pending(1 << 20);
            assertEquals(2, lines.size(), "two lines after the cursor; the torn one is not an event");
            lines.forEach(l -> assertEquals(METRICS, l.event()));
            seg.ack(lines.get(1).endOffset());
            assertEquals(List.of(), seg.pending(1 << 20));
            assertTrue(seg.tornTail());
            assertTrue(seg.fullyShipped());
            next.retireIfShipped(seg);
        }
        assertEquals(List.of(), segments(dir));
    }

    @Test
    void anUnreadableLineIsReportedWithItsText() throws Exception {
        Path dir = Files.createTempDirectory("outbox");
        Files.writeString(dir.resolve("segment-0000000000001-1-1.jsonl"), "not json\n" + EventJson.encode(METRICS) + "\n");
        try (Outbox outbox = Outbox.open(dir)) {
            List<OutboxSegment.Line> lines = outbox.shippable().get(0).pending(1 << 20);
            assertNull(lines.get(0).event());
            assertEquals("not json", lines.get(0).text());
            assertTrue(lines.get(0).error().contains("not a JSON object"), lines.get(0).error());
            assertEquals(METRICS, lines.get(1).event());
        }
    }

    @Test
    void badNamesFailAtTheCall() throws Exception {
        try (Tracker t = Tracker.open(new TrackingConfig(null, Files.createTempDirectory("outbox"), "exp"))) {
            assertThrows(IllegalArgumentException.class, () -> t.logMetrics("run", Map.of("bad*name", 1.0), 0));
            assertThrows(IllegalArgumentException.class, () -> t.logMetrics("run", Map.of("../up", 1.0), 0));
            assertThrows(IllegalArgumentException.class, () -> t.logParams("it's", Map.of("lr", "1")));
            assertThrows(IllegalArgumentException.class, () -> t.logParams("run", Map.of("lr", "x".repeat(6001))));
            assertThrows(IllegalArgumentException.class, () -> t.logArtifact("run", Path.of("/no/such/file"), ""));
            t.logMetrics("run", Map.of("eval/accuracy: dev", 1.0), 0);
            assertEquals(1, t.sync().pending());
        }
        assertThrows(IllegalArgumentException.class, () -> new TrackingConfig("file:///tmp/mlruns", Path.of("x"), "exp"));
    }

    private static List<Path> segments(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(OutboxSegment::isSegment).sorted().toList();
        }
    }
}
