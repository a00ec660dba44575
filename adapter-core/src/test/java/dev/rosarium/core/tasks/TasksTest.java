package dev.rosarium.core.tasks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TasksTest {
    @TempDir
    Path root;

    /** The real data sets under the shared data directory: counts as its README states. */
    @Test
    void readsTheRealDataSets() throws IOException {
        Path data = DataFiles.defaultRoot();
        Task.Classification sst2 = (Task.Classification) Tasks.byName("sst2");
        assertEquals(67_349, sst2.read(data, Split.TRAIN).size());
        assertEquals(872, sst2.read(data, Split.EVAL).size());
        List<ClassificationExample> mrpc = ((Task.Classification) Tasks.byName("mrpc")).read(data, Split.TRAIN);
        assertEquals(4_076, mrpc.size());
        assertTrue(mrpc.get(0).text().startsWith("Amrozi accused"), "BOM and quotes handled");
        List<GenerationExample> gsm = ((Task.Generation) Tasks.byName("gsm8k")).read(data, Split.EVAL);
        assertEquals(1_319, gsm.size());
        assertEquals("18", gsm.get(0).reference());
    }

    @Test
    void gsm8kExtractsTheFinalNumber() {
        Gsm8kTask t = new Gsm8kTask();
        GenerationExample ex = new GenerationExample("q", "a", "1234.5");
        assertTrue(t.correct("so the total is #### $1,234.50", ex));
        assertTrue(t.correct("first 3, then 7, finally 1234.5.", ex));
        assertFalse(t.correct("#### 1234.5 ... wait 9", new GenerationExample("q", "a", "9")));
        assertFalse(t.correct("no number here", ex));
        assertEquals("-7", Gsm8kTask.finalAnswer("#### -7"));
    }

    @Test
    void metrics() {
        int[] pred = {1, 1, 0, 0, 1};
        int[] gold = {1, 0, 0, 1, 1};
        assertEquals(0.6, Metrics.accuracy(pred, gold), 1e-12);
        assertEquals(2 * 2.0 / (2 * 2 + 1 + 1), Metrics.binaryF1(pred, gold), 1e-12);
        assertEquals(Map.of("accuracy", 0.6, "f1", 2 / 3.0), new MrpcTask().score(pred, gold));
    }

    @Test
    void viggoAndSqlLoadersOnFixtures() throws IOException {
        Files.createDirectories(root.resolve("viggo"));
        Files.writeString(root.resolve("viggo/validation.jsonl"),
                "{\"meaning_representation\": \"inform(name[Tetris], rating[good])\", \"target\": \"Tetris is good.\"}\n");
        List<GenerationExample> v = new ViggoTask().read(root, Split.EVAL);
        assertEquals(1, v.size());
        assertTrue(v.get(0).prompt().contains("Tetris is good."));
        assertTrue(new ViggoTask().correct("  inform(name[Tetris], rating[good])\n", v.get(0)));
        Files.createDirectories(root.resolve("sql"));
        Files.writeString(root.resolve("sql/valid.jsonl"),
                "{\"messages\": [\"How many users?\", \"SELECT COUNT(*) FROM users\"]}\n\n");
        List<GenerationExample> s = new SqlTask().read(root, Split.EVAL);
        assertEquals("How many users?\n\n answer: ", s.get(0).prompt());
        assertTrue(new SqlTask().correct("SELECT COUNT(*) FROM users ", s.get(0)));
    }

    @Test
    void badRowsNameFileLineAndField() throws IOException {
        Files.createDirectories(root.resolve("sst2"));
        Files.writeString(root.resolve("sst2/dev.tsv"), "sentence\tlabel\ngood\t1\nbad\t7\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> new Sst2Task().read(root, Split.EVAL));
        assertTrue(e.getMessage().contains("dev.tsv:3") && e.getMessage().contains("label"), e.getMessage());
        Files.createDirectories(root.resolve("sql"));
        Files.writeString(root.resolve("sql/train.jsonl"), "{\"messages\": \"oops\"}\n");
        e = assertThrows(DataFormatException.class, () -> new SqlTask().read(root, Split.TRAIN));
        assertTrue(e.getMessage().contains("train.jsonl:1") && e.getMessage().contains("messages"), e.getMessage());
        Files.writeString(root.resolve("sst2/train.tsv"), "text\tlabel\n");
        e = assertThrows(DataFormatException.class, () -> new Sst2Task().read(root, Split.TRAIN));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }
}
