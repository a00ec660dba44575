package dev.rosarium.core.recipes;

import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tokenize.TokenizedExample;
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

/**
 * Fine-tunes a BERT-family encoder with a classification head: shuffle the rows each epoch from the
 * seed, pad each batch as it is drawn, train with AdamW and linear warm-up/decay, and score the
 * held-out split before and after.
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

    /**
     * Runs the configuration: full fine-tuning trains every weight; an adapter method trains its
     * adapters and the classification head. Progress receives every optimizer step.
     */
    public ClassificationResult run(ClassificationConfig cfg, Consumer<StepMetrics> progress) throws IOException {
        Task.Classification task = classification(cfg.task());
        List<ClassificationExample> train = subset(task.read(dataRoot, Split.TRAIN), cfg.trainRows(), cfg.seed());
        List<ClassificationExample> eval = task.read(dataRoot, Split.EVAL);
        if (cfg.evalRows() >= 0 && cfg.evalRows() < eval.size()) {
            eval = eval.subList(0, cfg.evalRows());
        }
        try (ClassifierRun run = ClassifierRun.open(backend, models.resolve(cfg.model()), cfg, task,
                ClassifierRun.totalSteps(cfg, train.size()))) {
            List<TokenizedExample> trainTokens = run.tokenize(train);
            List<TokenizedExample> evalTokens = run.tokenize(eval);
            Map<String, Double> before = run.evaluate(evalTokens);
            TrainingLoop<ClassifierRun.Batch> loop = run.loop(run.shuffled(trainTokens), null, 0);
            long t0 = System.nanoTime();
            double[] last = new double[1];
            loop.run(m -> {
                last[0] = m.loss();
                progress.accept(m);
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            long trainableCount = run.trainableParameters();
            Map<String, Double> after = run.evaluate(evalTokens);
            if (exportDir != null) {
                run.exportAdapter(exportDir.resolve("adapter"));
            }
            run.mergeAdapters();
            Map<String, Double> merged = run.evaluate(evalTokens);
            if (exportDir != null) {
                run.exportModel(exportDir.resolve("merged"));
            }
            return new ClassificationResult(before, after, merged, run.totalSteps(), last[0], seconds, trainableCount);
        }
    }

    /** The named task, which must be a classification task. */
    public static Task.Classification classification(String name) {
        if (!(Tasks.byName(name) instanceof Task.Classification ct)) {
            throw new IllegalArgumentException("task " + name + " is not a classification task");
        }
        return ct;
    }

    /** A seeded random subset of {@code n} rows, or all rows when {@code n < 0}. */
    public static List<ClassificationExample> subset(List<ClassificationExample> all, int n, long seed) {
        if (n < 0 || n >= all.size()) {
            return all;
        }
        List<ClassificationExample> copy = new ArrayList<>(all);
        Collections.shuffle(copy, new Random(seed));
        return copy.subList(0, n);
    }
}
