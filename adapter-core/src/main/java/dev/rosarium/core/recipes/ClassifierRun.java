package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.adapters.RosaSchedule;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.TokenizedBatch;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.Checkpoint;
import dev.rosarium.core.train.CheckpointStore;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.StepHook;
import dev.rosarium.core.train.TrainingLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

/**
 * One classifier set up to train: the encoder with its head, the method's adapters attached, the
 * optimizer with its parameter groups, the schedule and the method's step hooks. The recipe runs it
 * from start to end in one go; a trial runs its stages (mask warm-up, training in checkpointed
 * segments, merge and export, scoring) as separate steps that may run in separate processes,
 * handing files from one to the next.
 */
public final class ClassifierRun implements AutoCloseable {
    /** One padded batch on the backend, with its labels. */
    public record Batch(Tensor ids, Tensor types, Tensor mask, Tensor labels) {
    }

    private final Backend backend;
    private final ClassificationConfig cfg;
    private final Task.Classification task;
    private final HfModelDirectory dir;
    private final int padId;
    private final BertForSequenceClassification model;
    private final AdapterMethods.Setup setup;
    private final AdamW optimizer;
    private final List<StepHook> hooks;
    private final long totalSteps;

    private ClassifierRun(Backend backend, ClassificationConfig cfg, Task.Classification task, HfModelDirectory dir,
                          int padId, BertForSequenceClassification model,
                          AdapterMethods.Setup setup, AdamW optimizer, List<StepHook> hooks, long totalSteps) {
        this.backend = backend;
        this.cfg = cfg;
        this.task = task;
        this.dir = dir;
        this.padId = padId;
        this.model = model;
        this.setup = setup;
        this.optimizer = optimizer;
        this.hooks = hooks;
        this.totalSteps = totalSteps;
    }

    /** Optimizer steps of a run over {@code trainRows} rows. */
    public static long totalSteps(ClassificationConfig cfg, int trainRows) {
        return (long) ((trainRows + cfg.batchSize() - 1) / cfg.batchSize()) * cfg.epochs();
    }

    /**
     * Loads the model in {@code modelDir} (a Hugging Face directory) and attaches the method; full
     * fine-tuning trains every weight, an adapter method its adapters and the classification head.
     */
    public static ClassifierRun open(Backend backend, Path modelDir, ClassificationConfig cfg, Task.Classification task,
                                     long totalSteps) throws IOException {
        boolean full = AdapterMethods.isFull(cfg.method());
        Predicate<String> trainable = full ? name -> true : name -> name.startsWith("classifier.");
        HfModelDirectory dir = HfModelDirectory.open(modelDir);
        try {
            int padId = dir.config().has("pad_token_id") ? dir.config().get("pad_token_id").getAsInt() : 0;
            BertForSequenceClassification model = BertForSequenceClassification.load(dir, task.numLabels(), backend,
                    DType.F32, trainable, cfg.seed());
            AdapterMethods.Setup setup = AdapterMethods.attach(cfg.method(), model.linearModules(), cfg.lr(),
                    cfg.weightDecay(), cfg.seed(), totalSteps);
            // transformers' convention: no weight decay on biases and layer-norm weights
            List<NamedParameter> decayed = new ArrayList<>();
            List<NamedParameter> plain = new ArrayList<>();
            for (NamedParameter p : model.weights().trainable()) {
                (p.name().endsWith("bias") || p.name().contains("LayerNorm") ? plain : decayed).add(p);
            }
            List<ParamGroup> groups = new ArrayList<>(setup.groups());
            groups.add(new ParamGroup("decay", decayed, cfg.lr(), cfg.weightDecay()));
            groups.add(new ParamGroup("no_decay", plain, cfg.lr(), 0.0));
            AdamW opt = AdamW.withDefaults(groups);
            return new ClassifierRun(backend, cfg, task, dir, padId, model, setup, opt, setup.hooks().apply(opt),
                    totalSteps);
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    public long totalSteps() {
        return totalSteps;
    }

    /** RoSA's and SpA's mask schedule, for methods that have one. */
    public Optional<RosaSchedule> rosaSchedule() {
        return hooks.stream().filter(RosaSchedule.class::isInstance).map(RosaSchedule.class::cast).findFirst();
    }

    /** The training loop over {@code data}; checkpoints go to {@code store} (may be null) every {@code every} steps. */
    public TrainingLoop<Batch> loop(DataSource<Batch> data, CheckpointStore store, int every) {
        LrSchedule schedule = new LrSchedule.LinearWarmupDecay(Math.round(cfg.warmupRatio() * totalSteps), totalSteps);
        TrainingLoop<Batch> loop = new TrainingLoop<>(backend, optimizer, schedule, data,
                (t, b, ctx) -> t.crossEntropy(model.logits(t, b.ids(), b.types(), b.mask(), ctx), b.labels(), -100),
                new TrainingLoop.Settings(totalSteps, 1, cfg.maxGradNorm(), every, cfg.seed(), cfg.toString()), store);
        hooks.forEach(loop::addHook);
        return loop;
    }

    /** Batches of {@code rows}, reshuffled every epoch from (seed, epoch); the position is the batch count. */
    public DataSource<Batch> shuffled(List<TokenizedExample> rows) {
        return new ShuffledBatches(rows);
    }

    /** Trainable tensors, counted now (RoSA's sparse values are sized once the masks exist). */
    public long trainableParameters() {
        return optimizer.groups().stream().flatMap(g -> g.params().stream())
                .mapToLong(p -> p.variable().value().numel()).sum();
    }

    /** Copies the trained tensors of a checkpoint into this run's parameters. */
    public void loadTrained(Checkpoint c) {
        for (ParamGroup g : optimizer.groups()) {
            for (NamedParameter p : g.params()) {
                Tensor saved = c.params().get(p.name());
                if (saved == null || !saved.sameShape(p.variable().value())) {
                    throw new IllegalArgumentException("checkpoint at step " + c.step()
                            + " has no tensor of the right shape for parameter " + p.name());
                }
                backend.copy(saved, p.variable().value());
            }
        }
    }

    /** Predicted labels of {@code rows} with the current weights (no dropout). */
    public int[] predict(List<TokenizedExample> rows) {
        int[] predicted = new int[rows.size()];
        for (int from = 0; from < rows.size(); from += cfg.batchSize()) {
            List<TokenizedExample> part = rows.subList(from, Math.min(rows.size(), from + cfg.batchSize()));
            Batch b = collate(part);
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
                }
            }
        }
        return predicted;
    }

    /** The task's metrics of the current weights on {@code rows}. */
    public Map<String, Double> evaluate(List<TokenizedExample> rows) {
        return task.score(predict(rows), rows.stream().mapToInt(TokenizedExample::label).toArray());
    }

    /** Folds the adapters into the base weights and removes them (nothing to do for full fine-tuning). */
    public void mergeAdapters() {
        if (setup.adapters() != null) {
            setup.adapters().mergeAndUnload();
        }
    }

    /**
     * Writes the model with its current weights as a transformers sequence-classification directory
     * with its tokenizer; a 4-bit base is written dequantized, so transformers reads it without bitsandbytes.
     */
    public void exportModel(Path target) throws IOException {
        model.linearModules().values().forEach(Linear::dequantize);
        model.saveHfDirectory(target, DType.F32, Map.of("tokenizer.json", dir.tokenizerFile()));
    }

    /**
     * Writes the adapter in peft's directory format with the new head as modules_to_save; false when
     * the method has no adapter file (full fine-tuning).
     */
    public boolean exportAdapter(Path target) throws IOException {
        return setup.saveAdapter(target, model.weights().trainable().stream()
                .filter(p -> p.name().startsWith("classifier.")).toList(), cfg.model(), "SEQ_CLS", DType.F32);
    }

    Batch collate(List<TokenizedExample> rows) {
        TokenizedBatch b = TokenizedBatch.pad(rows, padId);
        int[] labels = rows.stream().mapToInt(TokenizedExample::label).toArray();
        return new Batch(backend.fromInts(b.ids(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(b.typeIds(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(b.mask(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(labels, DType.I32, labels.length));
    }

    @Override
    public void close() throws IOException {
        dir.close();
    }

    private final class ShuffledBatches implements DataSource<Batch> {
        private final List<TokenizedExample> rows;
        private final int perEpoch;
        private long position;
        private long epochShuffled = -1;
        private List<TokenizedExample> order;

        ShuffledBatches(List<TokenizedExample> rows) {
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("no training rows");
            }
            this.rows = rows;
            this.perEpoch = (rows.size() + cfg.batchSize() - 1) / cfg.batchSize();
        }

        @Override
        public Batch next() {
            long epoch = position / perEpoch;
            int index = (int) (position % perEpoch);
            if (epoch != epochShuffled) {
                order = new ArrayList<>(rows);
                Collections.shuffle(order, new Random(cfg.seed() * 1_000_003L + epoch));
                epochShuffled = epoch;
            }
            position++;
            int bs = cfg.batchSize();
            return collate(order.subList(index * bs, Math.min(order.size(), (index + 1) * bs)));
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
