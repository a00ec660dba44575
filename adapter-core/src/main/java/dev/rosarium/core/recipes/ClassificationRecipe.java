package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.RowSelection;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.ExampleTokenizer;
import dev.rosarium.core.tokenize.TokenizedBatch;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.core.train.TrainingLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Fine-tunes a BERT-family encoder with a classification head: tokenize the rows once, shuffle them
 * each epoch from the seed, pad each batch as it is drawn, train with AdamW and linear warm-up/decay,
 * and score the held-out split before and after.
 */
public final class ClassificationRecipe {
    private final Backend backend;
    private final Path dataRoot;
    private final ModelCache models;
    private final Path exportDir;

    public ClassificationRecipe(Backend backend, Path dataRoot, ModelCache models) {
        this(backend, dataRoot, models, null);
    }

    private ClassificationRecipe(Backend backend, Path dataRoot, ModelCache models, Path exportDir) {
        this.backend = backend;
        this.dataRoot = dataRoot;
        this.models = models;
        this.exportDir = exportDir;
    }

    /**
     * The same recipe, also saving into {@code dir} the adapter in peft's layout with the new head as
     * modules_to_save ({@code adapter/}; methods with an adapter file only) and the merged model as
     * a transformers directory with its tokenizer ({@code merged/}).
     */
    public ClassificationRecipe exportingTo(Path dir) {
        return new ClassificationRecipe(backend, dataRoot, models, dir);
    }

    /** One tokenized batch on the backend, with its labels. */
    record Batch(Tensor ids, Tensor types, Tensor mask, Tensor labels) {
    }

    /**
     * Runs the configuration on the task's rows: selects them ({@link RowSelection}), tokenizes them
     * once, and trains as {@link #run(ClassificationConfig, List, List, Consumer)} does.
     */
    public ClassificationResult run(ClassificationConfig cfg, Consumer<StepMetrics> progress) throws IOException {
        Task.Classification task = classification(cfg);
        List<ClassificationExample> train = RowSelection.train(task.read(dataRoot, Split.TRAIN), cfg.trainRows(),
                cfg.seed());
        List<ClassificationExample> eval = RowSelection.eval(task.read(dataRoot, Split.EVAL), cfg.evalRows());
        try (ExampleTokenizer tok = ExampleTokenizer.open(ModelTokenizer.locate(models.resolve(cfg.model())),
                cfg.maxLength())) {
            return run(cfg, tok.classification(train), tok.classification(eval), progress);
        }
    }

    /**
     * Runs the configuration on rows already tokenized (prepared shards, or {@link ExampleTokenizer}
     * output): full fine-tuning trains every weight; an adapter method trains its adapters and the
     * classification head. The rows are used as given ({@code trainRows}, {@code evalRows} and
     * {@code maxLength} of the configuration are not applied again). Progress receives every
     * optimizer step.
     */
    public ClassificationResult run(ClassificationConfig cfg, List<TokenizedExample> train, List<TokenizedExample> eval,
                                    Consumer<StepMetrics> progress) throws IOException {
        Task.Classification ct = classification(cfg);
        checkLabels(train, ct, "train");
        checkLabels(eval, ct, "eval");
        boolean full = AdapterMethods.isFull(cfg.method());
        Predicate<String> trainable = full ? name -> true : name -> name.startsWith("classifier.");
        try (HfModelDirectory dir = HfModelDirectory.open(models.resolve(cfg.model()))) {
            int padId = dir.config().has("pad_token_id") ? dir.config().get("pad_token_id").getAsInt() : 0;
            BertForSequenceClassification model = BertForSequenceClassification.load(dir, ct.numLabels(), backend,
                    DType.F32, trainable, cfg.seed());
            Map<String, Double> before = evaluate(model, ct, eval, cfg.batchSize(), padId);
            int stepsPerEpoch = (train.size() + cfg.batchSize() - 1) / cfg.batchSize();
            long total = (long) stepsPerEpoch * cfg.epochs();
            AdapterMethods.Setup setup = AdapterMethods.attach(cfg.method(), model.linearModules(), cfg.lr(),
                    cfg.weightDecay(), cfg.seed(), total);
            List<NamedParameter> params = new ArrayList<>(model.weights().trainable());
            // transformers' convention: no weight decay on biases and layer-norm weights
            List<NamedParameter> decayed = new ArrayList<>();
            List<NamedParameter> plain = new ArrayList<>();
            for (NamedParameter p : params) {
                (p.name().endsWith("bias") || p.name().contains("LayerNorm") ? plain : decayed).add(p);
            }
            List<ParamGroup> groups = new ArrayList<>(setup.groups());
            groups.add(new ParamGroup("decay", decayed, cfg.lr(), cfg.weightDecay()));
            groups.add(new ParamGroup("no_decay", plain, cfg.lr(), 0.0));
            AdamW opt = AdamW.withDefaults(groups);
            LrSchedule schedule = new LrSchedule.LinearWarmupDecay(Math.round(cfg.warmupRatio() * total), total);
            DataSource<Batch> data = new ShuffledBatches(train, cfg.batchSize(), cfg.seed(), padId);
            TrainingLoop<Batch> loop = new TrainingLoop<>(backend, opt, schedule, data,
                    (t, b, ctx) -> t.crossEntropy(model.logits(t, b.ids(), b.types(), b.mask(), ctx), b.labels(), -100),
                    new TrainingLoop.Settings(total, 1, cfg.maxGradNorm(), 0, cfg.seed(), cfg.toString()), null);
            setup.hooks().apply(opt).forEach(loop::addHook);
            long t0 = System.nanoTime();
            double[] last = new double[1];
            loop.run(m -> {
                last[0] = m.loss();
                progress.accept(m);
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            // counted after training: RoSA's sparse values only get their size once the masks exist
            long trainableCount = groups.stream().flatMap(g -> g.params().stream())
                    .mapToLong(p -> p.variable().value().numel()).sum();
            Map<String, Double> after = evaluate(model, ct, eval, cfg.batchSize(), padId);
            Map<String, Double> merged = after;
            if (exportDir != null) {
                setup.saveAdapter(exportDir.resolve("adapter"), model.weights().trainable().stream()
                        .filter(p -> p.name().startsWith("classifier.")).toList(), cfg.model(), "SEQ_CLS", DType.F32);
            }
            if (setup.adapters() != null) {
                setup.adapters().mergeAndUnload();
                merged = evaluate(model, ct, eval, cfg.batchSize(), padId);
            }
            if (exportDir != null) {
                // a 4-bit base exports as its dequantized merged weights: transformers reads them without bitsandbytes
                model.linearModules().values().forEach(Linear::dequantize);
                model.saveHfDirectory(exportDir.resolve("merged"), DType.F32, Map.of("tokenizer.json", dir.tokenizerFile()));
            }
            return new ClassificationResult(before, after, merged, total, last[0], seconds, trainableCount);
        }
    }

    private static Task.Classification classification(ClassificationConfig cfg) {
        if (!(Tasks.byName(cfg.task()) instanceof Task.Classification ct)) {
            throw new IllegalArgumentException("task " + cfg.task() + " is not a classification task");
        }
        return ct;
    }

    private static void checkLabels(List<TokenizedExample> rows, Task.Classification task, String split) {
        for (int i = 0; i < rows.size(); i++) {
            int label = rows.get(i).label();
            if (label < 0 || label >= task.numLabels()) {
                throw new IllegalArgumentException(split + " row " + i + ": label " + label + " is not in [0, "
                        + task.numLabels() + ") of task " + task.name());
            }
        }
    }

    private Batch encode(List<TokenizedExample> rows, int padId) {
        TokenizedBatch b = TokenizedBatch.pad(rows, padId);
        int[] labels = rows.stream().mapToInt(TokenizedExample::label).toArray();
        return new Batch(backend.fromInts(b.ids(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(b.typeIds(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(b.mask(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(labels, DType.I32, labels.length));
    }

    /** Held-out metrics of the current weights (no dropout). */
    private Map<String, Double> evaluate(BertForSequenceClassification model, Task.Classification task,
                                         List<TokenizedExample> rows, int batchSize, int padId) {
        int[] predicted = new int[rows.size()];
        int[] gold = new int[rows.size()];
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<TokenizedExample> part = rows.subList(from, Math.min(rows.size(), from + batchSize));
            Batch b = encode(part, padId);
            try (Tape t = Tape.inference(backend)) {
                Variable logits = model.logits(t, b.ids(), b.types(), b.mask(), null);
                float[] l = logits.value().toFloats();
                int labels = logits.value().dim(-1);
                for (int i = 0; i < part.size(); i++) {
                    int best = 0;
                    for (int c = 1; c < labels; c++) {
                        if (l[i * labels + c] > l[i * labels + best]) {
                            best = c;
                        }
                    }
                    predicted[from + i] = best;
                    gold[from + i] = part.get(i).label();
                }
            }
        }
        return task.score(predicted, gold);
    }

    /** Batches of a fixed row list, reshuffled every epoch from (seed, epoch). */
    private final class ShuffledBatches implements DataSource<Batch> {
        private final List<TokenizedExample> rows;
        private final int batchSize;
        private final long seed;
        private final int padId;
        private final int perEpoch;
        private long position;
        private long epochShuffled = -1;
        private List<TokenizedExample> order;

        ShuffledBatches(List<TokenizedExample> rows, int batchSize, long seed, int padId) {
            this.rows = rows;
            this.batchSize = batchSize;
            this.seed = seed;
            this.padId = padId;
            this.perEpoch = (rows.size() + batchSize - 1) / batchSize;
        }

        @Override
        public Batch next() {
            long epoch = position / perEpoch;
            int index = (int) (position % perEpoch);
            if (epoch != epochShuffled) {
                order = new ArrayList<>(rows);
                Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
                epochShuffled = epoch;
            }
            position++;
            return encode(order.subList(index * batchSize, Math.min(order.size(), (index + 1) * batchSize)), padId);
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public void seek(long p) {
            position = p;
        }
    }
}
