package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.TokenizedBatch;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.LossFunction;
import dev.rosarium.core.train.ShuffledBatches;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One classifier set up to train: the encoder with its head and what {@link FineTuneRun} adds. The
 * recipe runs it from start to end in one go; a trial runs its stages (mask warm-up, training in
 * checkpointed segments, merge and export, scoring) as separate steps that may run in separate
 * processes, handing files from one to the next.
 */
public final class ClassifierRun extends FineTuneRun<ClassifierRun.Batch> {
    /** One padded batch on the backend, with its labels. */
    public record Batch(Tensor ids, Tensor types, Tensor mask, Tensor labels) {
    }

    private final Task.Classification task;
    private final HfModelDirectory dir;
    private final int padId;
    private final BertForSequenceClassification model;

    private ClassifierRun(Backend backend, FineTuneConfig cfg, Task.Classification task, HfModelDirectory dir,
                          int padId, BertForSequenceClassification model, AdapterMethods.Setup setup, long totalSteps) {
        super(backend, cfg, setup, model.weights().trainable(),
                name -> name.endsWith("bias") || name.contains("LayerNorm"), totalSteps);
        this.task = task;
        this.dir = dir;
        this.padId = padId;
        this.model = model;
    }

    /**
     * Loads the model in {@code modelDir} (a Hugging Face directory) and attaches the method; full
     * fine-tuning trains every weight, an adapter method its adapters and the classification head.
     */
    public static ClassifierRun open(Backend backend, Path modelDir, FineTuneConfig cfg, Task.Classification task,
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
            return new ClassifierRun(backend, cfg, task, dir, padId, model, setup, totalSteps);
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    @Override
    protected LossFunction<Batch> loss() {
        return (t, b, ctx) -> t.crossEntropy(model.logits(t, b.ids(), b.types(), b.mask(), ctx), b.labels(), -100);
    }

    @Override
    public DataSource<Batch> shuffled(List<TokenizedExample> rows) {
        return new ShuffledBatches<>(rows, cfg.batchSize(), cfg.seed(), this::collate);
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

    /** As a transformers sequence-classification directory. */
    @Override
    public void exportModel(Path target) throws IOException {
        model.linearModules().values().forEach(Linear::dequantize);
        model.saveHfDirectory(target, DType.F32, Map.of("tokenizer.json", dir.tokenizerFile()));
    }

    /** With the new head as modules_to_save. */
    @Override
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
}
