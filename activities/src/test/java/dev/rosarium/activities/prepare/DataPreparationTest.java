package dev.rosarium.activities.prepare;

import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.recipes.FineTuneConfig;
import dev.rosarium.core.recipes.ClassificationRecipe;
import dev.rosarium.core.recipes.FineTuneResult;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tasks.RowSelection;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tokenize.ExampleTokenizer;
import dev.rosarium.core.tokenize.TokenizedExample;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prepare step on the real SST-2 and GSM8k files with the packaged models' tokenizers, through
 * Beam's direct runner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataPreparationTest {
    private static final String MINILM = "all-minilm-l6-v2";

    @TempDir
    static Path tmp;
    private Path data;
    private PrepareRequest sst2;
    private PreparedData prepared;

    @BeforeAll
    void prepareOnce() throws IOException {
        data = DataFiles.defaultRoot();
        sst2 = new PrepareRequest("sst2", MINILM, 64, 300, 100, 42, data, tmp.resolve("a"), "direct");
        prepared = DataPreparation.prepare(sst2);
    }

    @Test
    void manifestRecordsInputsAndCounts() throws IOException {
        DatasetManifest m = prepared.manifest();
        assertEquals(tmp.resolve("a").resolve(prepared.contentHash()), prepared.directory());
        assertEquals(prepared.contentHash(), m.contentHash());
        assertEquals("classification", m.kind());
        assertEquals(2, m.numLabels());
        assertEquals(300, m.splits().get("train").rows());
        assertEquals(100, m.splits().get("eval").rows());
        assertEquals(List.of("train-00000.bin"), m.splits().get("train").shards().stream()
                .map(DatasetManifest.ShardInfo::file).toList());
        assertEquals(List.of("sst2/train.tsv", "sst2/dev.tsv"), List.copyOf(m.inputs().keySet()));
        assertEquals(PreparationKey.sha256(data.resolve("sst2/dev.tsv")), m.inputs().get("sst2/dev.tsv"));
        Path tokenizer = ModelTokenizer.locate(ModelCache.standard().resolve(MINILM)).tokenizerJson();
        assertEquals(PreparationKey.sha256(tokenizer), m.tokenizerSha256());
        assertEquals(CodeVersion.get(), m.codeVersion());
        assertTrue(m.codeVersion().matches("\\d+\\.\\d+\\.\\d+.*"), m.codeVersion());
        try (TokenShards shards = TokenShards.open(prepared.directory())) {
            long tokens = shards.split("train").stream().mapToLong(TokenizedExample::tokens).sum();
            assertEquals(m.splits().get("train").tokens(), tokens);
            assertThrows(IllegalArgumentException.class, () -> shards.split("test"));
        }
    }

    @Test
    void shardsHoldWhatTheExampleTokenizerGivesInRowOrder() throws IOException {
        Task.Classification task = (Task.Classification) Tasks.byName("sst2");
        List<ClassificationExample> train = RowSelection.train(task.read(data, Split.TRAIN), 300, 42);
        List<ClassificationExample> eval = RowSelection.eval(task.read(data, Split.EVAL), 100);
        try (ExampleTokenizer tok = ExampleTokenizer.open(ModelTokenizer.locate(ModelCache.standard().resolve(MINILM)), 64);
             TokenShards shards = TokenShards.open(prepared.directory())) {
            assertEquals(tok.classification(train), shards.split("train"));
            assertEquals(tok.classification(eval), shards.split("eval"));
        }
    }

    @Test
    void secondPrepareIsANoOpAndAnotherRootGetsTheSameBytes() throws Exception {
        Map<String, Object> before = fileIdentities(prepared.directory());
        PreparedData again = DataPreparation.prepare(sst2);
        assertEquals(prepared.contentHash(), again.contentHash());
        assertEquals(prepared.directory(), again.directory());
        assertEquals(before, fileIdentities(prepared.directory()), "files untouched (same inodes and times)");
        try (Stream<Path> s = Files.list(tmp.resolve("a"))) {
            assertEquals(List.of(prepared.directory()), s.toList(), "no temporary directory left");
        }

        PrepareRequest elsewhere = new PrepareRequest("sst2", MINILM, 64, 300, 100, 42, data, tmp.resolve("b"), null);
        PreparedData other = DataPreparation.prepare(elsewhere);
        assertEquals(prepared.contentHash(), other.contentHash());
        assertEquals(contents(prepared.directory()), contents(other.directory()), "byte-identical output");

        PrepareRequest otherSeed = new PrepareRequest("sst2", MINILM, 64, 300, 100, 43, data, tmp.resolve("b"), null);
        PreparedData reseeded = DataPreparation.prepare(otherSeed);
        assertTrue(!reseeded.contentHash().equals(prepared.contentHash()), "the seed is part of the hash");
    }

    @Test
    void corruptionIsDetectedNamingFileAndField() throws Exception {
        Path copy = tmp.resolve("corrupt").resolve(prepared.contentHash());
        copyTree(prepared.directory(), copy);
        Path shard = copy.resolve("train-00000.bin");
        byte[] b = Files.readAllBytes(shard);
        b[b.length / 2] ^= 1;
        Files.write(shard, b);
        IOException e = assertThrows(IOException.class, () -> TokenShards.open(copy));
        assertTrue(e.getMessage().contains("train-00000.bin") && e.getMessage().contains("splits.train.shards[0].sha256"),
                e.getMessage());

        // preparing into that root moves the bad directory aside and builds a valid one
        PrepareRequest into = new PrepareRequest("sst2", MINILM, 64, 300, 100, 42, data, tmp.resolve("corrupt"), null);
        PreparedData rebuilt = DataPreparation.prepare(into);
        assertEquals(contents(prepared.directory()), contents(rebuilt.directory()));
        try (Stream<Path> s = Files.list(tmp.resolve("corrupt"))) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("." + prepared.contentHash() + ".invalid-")));
        }

        Path manifest = copy.resolveSibling("m").resolve(DatasetManifest.FILE_NAME);
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, Files.readString(prepared.directory().resolve(DatasetManifest.FILE_NAME))
                .replaceFirst("\"tokens\": \\d+", "\"tokens\": \"many\""));
        IOException bad = assertThrows(IOException.class, () -> DatasetManifest.read(manifest));
        assertTrue(bad.getMessage().contains("manifest.json: field 'splits.train.tokens': missing or not a number"),
                bad.getMessage());
    }

    @Test
    void runnersWithoutTheirArtifactSayWhichToAdd() {
        for (String[] c : new String[][] {{"flink", "org.apache.beam:beam-runners-flink-1.19:2.73.0"},
                {"spark --sparkMaster=local[2]", "org.apache.beam:beam-runners-spark-3:2.73.0"}}) {
            PrepareRequest r = new PrepareRequest("sst2", MINILM, 64, 10, 10, 1, data, tmp.resolve("r"), c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataPreparation.prepare(r));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        PrepareRequest unknown = new PrepareRequest("sst2", MINILM, 64, 10, 10, 1, data, tmp.resolve("r"), "storm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataPreparation.prepare(unknown));
        assertTrue(e.getMessage().contains("'storm' is not known"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("r")), "nothing written for a refused request");
    }

    @Test
    void concurrentPreparersOfOneHashShareOneDirectory() throws Exception {
        PrepareRequest r = new PrepareRequest("sst2", MINILM, 32, 120, 40, 5, data, tmp.resolve("race"), null);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<PreparedData> a = pool.submit(() -> DataPreparation.prepare(r));
            Future<PreparedData> b = pool.submit(() -> DataPreparation.prepare(r));
            assertEquals(a.get().directory(), b.get().directory());
        } finally {
            pool.shutdown();
        }
        try (Stream<Path> s = Files.list(tmp.resolve("race"))) {
            assertEquals(1, s.count(), "the loser's temporary directory is gone");
        }
        TokenShards.open(tmp.resolve("race").resolve(DataPreparation.prepare(r).contentHash())).close();
    }

    @Test
    void generativeRowsCarryPromptAndTarget() throws IOException {
        String smol = "smollm2-135m-instruct-q4_1";
        PrepareRequest r = new PrepareRequest("gsm8k", smol, 256, 12, 6, 3, data, tmp.resolve("gen"), null);
        PreparedData p = DataPreparation.prepare(r);
        assertEquals("generation", p.manifest().kind());
        assertNotNull(p.manifest().chatTemplateSha256());
        Task.Generation task = (Task.Generation) Tasks.byName("gsm8k");
        List<GenerationExample> train = RowSelection.train(task.read(data, Split.TRAIN), 12, 3);
        try (ExampleTokenizer tok = ExampleTokenizer.open(ModelTokenizer.locate(ModelCache.standard().resolve(smol)), 256);
             TokenShards shards = TokenShards.open(p.directory())) {
            List<TokenizedExample> rows = shards.split("train");
            assertEquals(train.stream().map(tok::generation).toList(), rows);
            for (TokenizedExample e : rows) {
                assertEquals(-1, e.label());
                assertTrue(e.targetIds().length > 0 && e.tokens() <= 256);
            }
            assertEquals(6, shards.split("eval").size());
        }
    }

    @Test
    void recipeTrainedFromShardsEqualsRecipeTrainedDirectly() throws IOException {
        PrepareRequest r = new PrepareRequest("sst2", MINILM, 32, 32, 16, 7, data, tmp.resolve("recipe"), null);
        PreparedData p = DataPreparation.prepare(r);
        FineTuneConfig cfg = new FineTuneConfig(MINILM, "sst2", 32, 16, 16, 32, 5e-4, 0.01, 1, 0.06, 1.0, 7,
                MethodSpec.defaults("lora"));
        ClassificationRecipe recipe = new ClassificationRecipe(CpuBackend.get(), data, ModelCache.standard());
        List<Double> direct = new ArrayList<>();
        FineTuneResult a = recipe.run(cfg, m -> direct.add(m.loss()));
        List<Double> fromShards = new ArrayList<>();
        FineTuneResult b;
        try (TokenShards shards = TokenShards.open(p.directory())) {
            b = recipe.run(cfg, shards.split("train"), shards.split("eval"), m -> fromShards.add(m.loss()));
        }
        assertEquals(2, direct.size());
        assertEquals(direct, fromShards);
        assertEquals(a.before(), b.before());
        assertEquals(a.after(), b.after());
    }

    private static Map<String, Object> fileIdentities(Path dir) throws IOException {
        Map<String, Object> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                out.put(f.getFileName().toString(), List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size()));
            }
        }
        return out;
    }

    private static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                out.put(f.getFileName().toString(), PreparationKey.sha256(f));
            }
        }
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        AtomicFiles.deleteRecursively(to);
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
