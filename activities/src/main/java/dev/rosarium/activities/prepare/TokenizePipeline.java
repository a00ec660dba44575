package dev.rosarium.activities.prepare;

import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tokenize.ExampleTokenizer;
import dev.rosarium.core.tokenize.TokenizedExample;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.KV;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Beam pipeline of data preparation: the selected rows, each with its split and position,
 * are tokenized in parallel by {@link ExampleTokenizer}, grouped by the shard their position falls
 * in, and each shard is written in row order. Beam keeps no order, so the position travels with
 * every row; the files are therefore the same bytes whatever the runner's parallelism.
 *
 * <p>The output directory must be reachable from every worker (a local directory for the direct
 * runner, a shared file system for a cluster runner).
 */
final class TokenizePipeline {
    /** Rows per shard file; part of the layout that {@link DatasetManifest#FORMAT_VERSION} versions. */
    static final int ROWS_PER_SHARD = 2048;

    /** One selected row: its split, its position in that split, and the example (one of the two). */
    record SourceRow(String split, int index, ClassificationExample classification, GenerationExample generation) {
    }

    private TokenizePipeline() {
    }

    static void run(PipelineOptions options, ModelTokenizer tokenizer, int maxLength, List<SourceRow> rows, Path out)
            throws IOException {
        Pipeline p = Pipeline.create(options);
        p.apply("Rows", Create.of(rows).withCoder(new SourceRowCoder()))
                .apply("Tokenize", ParDo.of(new TokenizeFn(tokenizer.tokenizerJson().toString(), tokenizer.chatTemplate(),
                        maxLength)))
                .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarIntCoder.of(), new TokenizedExampleCoder())))
                .apply("ByShard", GroupByKey.create())
                .apply("WriteShards", ParDo.of(new WriteShardFn(out.toAbsolutePath().toString())));
        PipelineResult.State state;
        try {
            state = p.run().waitUntilFinish();
        } catch (Pipeline.PipelineExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException("data preparation pipeline failed: " + cause, cause);
        }
        if (state != PipelineResult.State.DONE) {
            throw new IOException("data preparation pipeline ended " + state + ", not DONE");
        }
    }

    /** Tokenizes rows; the native tokenizer is opened once per instance and closed with it. */
    static final class TokenizeFn extends DoFn<SourceRow, KV<String, KV<Integer, TokenizedExample>>> {
        private static final long serialVersionUID = 1L;
        private final String tokenizerJson;
        private final String chatTemplate;
        private final int maxLength;
        private transient ExampleTokenizer tokenizer;

        TokenizeFn(String tokenizerJson, String chatTemplate, int maxLength) {
            this.tokenizerJson = tokenizerJson;
            this.chatTemplate = chatTemplate;
            this.maxLength = maxLength;
        }

        @Setup
        public void setup() throws IOException {
            tokenizer = ExampleTokenizer.open(new ModelTokenizer(Path.of(tokenizerJson), chatTemplate), maxLength);
        }

        @ProcessElement
        public void process(@Element SourceRow row, OutputReceiver<KV<String, KV<Integer, TokenizedExample>>> out) {
            TokenizedExample t = row.classification() != null ? tokenizer.classification(row.classification())
                    : tokenizer.generation(row.generation());
            out.output(KV.of(ShardFile.name(row.split(), row.index() / ROWS_PER_SHARD), KV.of(row.index(), t)));
        }

        @Teardown
        public void teardown() {
            if (tokenizer != null) {
                tokenizer.close();
                tokenizer = null;
            }
        }
    }

    /** Writes one shard's rows, sorted back into split order. */
    static final class WriteShardFn extends DoFn<KV<String, Iterable<KV<Integer, TokenizedExample>>>, String> {
        private static final long serialVersionUID = 1L;
        private final String directory;

        WriteShardFn(String directory) {
            this.directory = directory;
        }

        @ProcessElement
        public void process(@Element KV<String, Iterable<KV<Integer, TokenizedExample>>> shard, OutputReceiver<String> out) {
            List<KV<Integer, TokenizedExample>> rows = new ArrayList<>();
            shard.getValue().forEach(rows::add);
            rows.sort(Comparator.comparing(KV::getKey));
            int first = rows.get(0).getKey();
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).getKey() != first + i || first % ROWS_PER_SHARD != 0) {
                    throw new IllegalStateException(shard.getKey() + ": rows " + first + ".. are not consecutive at "
                            + rows.get(i).getKey());
                }
            }
            try {
                ShardFile.write(Path.of(directory, shard.getKey()), rows.stream().map(KV::getValue).toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.output(shard.getKey());
        }
    }

    private static final class SourceRowCoder extends CustomCoder<SourceRow> {
        private static final long serialVersionUID = 1L;
        private static final StringUtf8Coder STRING = StringUtf8Coder.of();

        @Override
        public void encode(SourceRow r, OutputStream out) throws IOException {
            STRING.encode(r.split(), out);
            VarInt.encode(r.index(), out);
            if (r.classification() != null) {
                out.write(0);
                ClassificationExample c = r.classification();
                STRING.encode(c.text(), out);
                out.write(c.pair() == null ? 0 : 1);
                if (c.pair() != null) {
                    STRING.encode(c.pair(), out);
                }
                VarInt.encode(c.label(), out);
            } else {
                out.write(1);
                GenerationExample g = r.generation();
                STRING.encode(g.prompt(), out);
                STRING.encode(g.target(), out);
                STRING.encode(g.reference(), out);
            }
        }

        @Override
        public SourceRow decode(InputStream in) throws IOException {
            String split = STRING.decode(in);
            int index = VarInt.decodeInt(in);
            if (in.read() == 0) {
                String text = STRING.decode(in);
                String pair = in.read() == 1 ? STRING.decode(in) : null;
                return new SourceRow(split, index, new ClassificationExample(text, pair, VarInt.decodeInt(in)), null);
            }
            return new SourceRow(split, index, null,
                    new GenerationExample(STRING.decode(in), STRING.decode(in), STRING.decode(in)));
        }

        @Override
        public void verifyDeterministic() {
            // fields in a fixed order, strings as UTF-8
        }
    }

    private static final class TokenizedExampleCoder extends CustomCoder<TokenizedExample> {
        private static final long serialVersionUID = 1L;

        @Override
        public void encode(TokenizedExample t, OutputStream out) throws IOException {
            VarInt.encode(t.label(), out);
            for (int[] a : new int[][] {t.inputIds(), t.tokenTypeIds(), t.targetIds()}) {
                VarInt.encode(a.length, out);
                for (int v : a) {
                    VarInt.encode(v, out);
                }
            }
        }

        @Override
        public TokenizedExample decode(InputStream in) throws IOException {
            int label = VarInt.decodeInt(in);
            int[][] parts = new int[3][];
            for (int k = 0; k < 3; k++) {
                parts[k] = new int[VarInt.decodeInt(in)];
                for (int i = 0; i < parts[k].length; i++) {
                    parts[k][i] = VarInt.decodeInt(in);
                }
            }
            return new TokenizedExample(parts[0], parts[1], label, parts[2]);
        }

        @Override
        public void verifyDeterministic() {
            // varints in a fixed order
        }
    }
}
