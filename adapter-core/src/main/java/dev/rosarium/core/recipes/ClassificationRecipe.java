package dev.rosarium.core.recipes;

import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.RowSelection;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tokenize.ExampleTokenizer;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.StepMetrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fine-tunes a BERT-family encoder with a classification head: tokenize the rows once, shuffle them
 * each epoch from the seed, pad each batch as it is drawn, train with AdamW and linear warm-up/decay,
 * and score the held-out split before and after training and after merging.
 */
public record ClassificationRecipe(Backend backend, Path dataRoot, ModelCache models, Path exportDir) {
    /** Without saving anything. */
    public ClassificationRecipe(Backend backend, Path dataRoot, ModelCache models) {
        this(backend, dataRoot, models, null);
    }

    /**
     * The same recipe, also saving into {@code dir} the adapter in peft's layout with the new head as
     * modules_to_save ({@code adapter/}; methods with an adapter file only) and the merged model as
     * a transformers directory with its tokenizer ({@code merged/}).
     */
    public ClassificationRecipe exportingTo(Path dir) {
        return new ClassificationRecipe(backend, dataRoot, models, dir);
    }

    /**
     * Runs the configuration on the task's rows: selects them ({@link RowSelection}), tokenizes them
     * once, and trains as {@link #run(FineTuneConfig, List, List, Consumer)} does.
     */
    public FineTuneResult run(FineTuneConfig cfg, Consumer<StepMetrics> progress) throws IOException {
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
    public FineTuneResult run(FineTuneConfig cfg, List<TokenizedExample> train, List<TokenizedExample> eval,
                                    Consumer<StepMetrics> progress) throws IOException {
        Task.Classification ct = classification(cfg);
        checkLabels(train, ct, "train");
        checkLabels(eval, ct, "eval");
        try (ClassifierRun run = ClassifierRun.open(backend, models.resolve(cfg.model()), cfg, ct,
                ClassifierRun.totalSteps(cfg, train.size()))) {
            return run.trainAndScore(run.shuffled(train), () -> run.evaluate(eval), exportDir, progress);
        }
    }

    /** The task of a configuration, which must be a classification task. */
    public static Task.Classification classification(FineTuneConfig cfg) {
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
}
