package dev.rosarium.activities.prepare;

import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tasks.RowSelection;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tokenize.TokenizedExample;
import org.apache.beam.sdk.options.PipelineOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The prepare step: selects a task's rows, tokenizes them with the model's tokenizer in a Beam
 * pipeline and writes token shards and a manifest into {@code <outputRoot>/<contentHash>}.
 *
 * <p>The directory is content-addressed ({@link PreparationKey}): when it exists and validates,
 * preparing again returns it untouched. A new one is built in a temporary directory beside it and
 * renamed into place in one step, so readers see a complete directory or none. When two preparers
 * of the same hash race, the first rename wins and the other discards its copy and returns the
 * winner's. A directory that exists but does not validate is moved aside
 * ({@code .<hash>.invalid-<uuid>}, kept for inspection) and built again.
 */
public final class DataPreparation {
    private static final System.Logger LOG = System.getLogger(DataPreparation.class.getName());

    private DataPreparation() {
    }

    public static PreparedData prepare(PrepareRequest r) throws IOException {
        PipelineOptions options = RunnerOptions.parse(r.runner());
        Task task = Tasks.byName(r.task());
        ModelTokenizer tokenizer = ModelTokenizer.locate(ModelCache.standard().resolve(r.model()));
        PreparationKey key = PreparationKey.of(r, task, tokenizer);
        Path target = r.outputRoot().resolve(key.contentHash());
        Optional<PreparedData> existing = existing(target, key);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            AtomicFiles.writeDirectory(target, tmp -> build(r, key, options, tmp));
        } catch (IOException e) {
            Optional<PreparedData> winner = existing(target, key);
            if (winner.isPresent()) {
                return winner.get();
            }
            throw e;
        }
        return existing(target, key).orElseThrow(() -> new IOException(target + " vanished right after it was written"));
    }

    /** The valid prepared directory at {@code target}; an invalid one is moved aside. */
    private static Optional<PreparedData> existing(Path target, PreparationKey key) throws IOException {
        if (!Files.isDirectory(target)) {
            return Optional.empty();
        }
        try (TokenShards shards = TokenShards.open(target)) {
            DatasetManifest m = shards.manifest();
            if (!m.contentHash().equals(key.contentHash())) {
                throw new IOException(target.resolve(DatasetManifest.FILE_NAME) + ": field 'contentHash' = "
                        + m.contentHash() + ", expected the directory's name " + key.contentHash());
            }
            return Optional.of(new PreparedData(target, key.contentHash(), m));
        } catch (IOException e) {
            Path aside = target.resolveSibling("." + target.getFileName() + ".invalid-" + UUID.randomUUID());
            LOG.log(System.Logger.Level.WARNING, "prepared data " + target + " is invalid (" + e.getMessage()
                    + "); moving it to " + aside + " and preparing again");
            try {
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException moved) {
                // another preparer moved it first; building again is still right
                if (Files.isDirectory(target)) {
                    e.addSuppressed(moved);
                    throw e;
                }
            }
            return Optional.empty();
        }
    }

    private static void build(PrepareRequest r, PreparationKey key, PipelineOptions options, Path dir)
            throws IOException {
        Map<String, List<?>> rows = new LinkedHashMap<>();
        int trainRows = r.trainRows() <= 0 ? -1 : r.trainRows();
        String kind;
        int numLabels;
        if (key.task() instanceof Task.Classification ct) {
            rows.put("train", RowSelection.train(ct.read(r.dataRoot(), Split.TRAIN), trainRows, r.seed()));
            rows.put("eval", RowSelection.eval(ct.read(r.dataRoot(), Split.EVAL), r.evalRows()));
            kind = "classification";
            numLabels = ct.numLabels();
        } else {
            Task.Generation gt = (Task.Generation) key.task();
            rows.put("train", RowSelection.train(gt.read(r.dataRoot(), Split.TRAIN), trainRows, r.seed()));
            rows.put("eval", RowSelection.eval(gt.read(r.dataRoot(), Split.EVAL), r.evalRows()));
            kind = "generation";
            numLabels = 0;
        }
        List<TokenizePipeline.SourceRow> source = new ArrayList<>();
        rows.forEach((split, list) -> {
            for (int i = 0; i < list.size(); i++) {
                Object ex = list.get(i);
                source.add(new TokenizePipeline.SourceRow(split, i,
                        ex instanceof ClassificationExample c ? c : null,
                        ex instanceof GenerationExample g ? g : null));
            }
        });
        TokenizePipeline.run(options, key.tokenizer(), r.maxLength(), source, dir);

        Map<String, DatasetManifest.SplitInfo> splits = new LinkedHashMap<>();
        for (Map.Entry<String, List<?>> split : rows.entrySet()) {
            splits.put(split.getKey(), summarize(dir, split.getKey(), split.getValue().size()));
        }
        DatasetManifest m = new DatasetManifest(DatasetManifest.FORMAT_VERSION, key.contentHash(), CodeVersion.get(),
                key.task().name(), kind, numLabels, r.model(), key.tokenizerSha256(), key.chatTemplateSha256(),
                r.maxLength(), r.trainRows(), r.evalRows(), r.seed(), TokenizePipeline.ROWS_PER_SHARD, key.inputs(),
                splits);
        Files.writeString(dir.resolve(DatasetManifest.FILE_NAME), m.toJson(), StandardCharsets.UTF_8);
    }

    /** The manifest entry of a split, from the shards the pipeline wrote (all must be there). */
    private static DatasetManifest.SplitInfo summarize(Path dir, String split, int rows) throws IOException {
        int count = (rows + TokenizePipeline.ROWS_PER_SHARD - 1) / TokenizePipeline.ROWS_PER_SHARD;
        List<DatasetManifest.ShardInfo> shards = new ArrayList<>();
        long tokens = 0;
        for (int k = 0; k < count; k++) {
            String name = ShardFile.name(split, k);
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new IOException(file + ": the pipeline did not write this shard");
            }
            byte[] bytes = Files.readAllBytes(file);
            List<TokenizedExample> shardRows = ShardFile.read(ByteBuffer.wrap(bytes), file.toString());
            int expected = Math.min(TokenizePipeline.ROWS_PER_SHARD, rows - k * TokenizePipeline.ROWS_PER_SHARD);
            if (shardRows.size() != expected) {
                throw new IOException(file + ": " + shardRows.size() + " rows written, expected " + expected);
            }
            long t = shardRows.stream().mapToLong(TokenizedExample::tokens).sum();
            shards.add(new DatasetManifest.ShardInfo(name, expected, t, bytes.length,
                    PreparationKey.hex(PreparationKey.digest().digest(bytes))));
            tokens += t;
        }
        return new DatasetManifest.SplitInfo(rows, tokens, shards);
    }
}
