package dev.rosarium.core.recipes;

import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.tasks.GenerationExample;
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
 * Fine-tunes a causal LM on a generative task (GSM8k, ViGGO, SQL), the RoSA paper's setting: select
 * the rows, tokenize them once (prompt through the model's chat template, target with its
 * end-of-turn, cut at {@code maxLength}; rows whose prompt leaves no target are skipped), train on
 * the targets with AdamW and linear warm-up/decay, and score the held-out rows by greedy generation
 * before training, after it and after merging.
 */
public record GenerationRecipe(Backend backend, Path dataRoot, ModelCache models, Path exportDir) {
    /** Without saving anything. */
    public GenerationRecipe(Backend backend, Path dataRoot, ModelCache models) {
        this(backend, dataRoot, models, null);
    }

    /** The same recipe, also saving the adapter ({@code adapter/}, peft's layout) and the merged model ({@code merged/}) into {@code dir}. */
    public GenerationRecipe exportingTo(Path dir) {
        return new GenerationRecipe(backend, dataRoot, models, dir);
    }

    /** Runs the configuration; progress receives every optimizer step. */
    public FineTuneResult run(FineTuneConfig cfg, Consumer<StepMetrics> progress) throws IOException {
        Task.Generation task = generation(cfg);
        List<GenerationExample> trainRows = RowSelection.train(task.read(dataRoot, Split.TRAIN), cfg.trainRows(),
                cfg.seed());
        List<GenerationExample> eval = RowSelection.eval(task.read(dataRoot, Split.EVAL), cfg.evalRows());
        Path model = models.resolve(cfg.model());
        List<TokenizedExample> train;
        try (ExampleTokenizer tok = ExampleTokenizer.open(ModelTokenizer.locate(model), cfg.maxLength())) {
            train = trainable(trainRows.stream().map(tok::generation).toList(), cfg);
        }
        try (CausalLmRun run = CausalLmRun.open(backend, model, cfg, task,
                FineTuneRun.totalSteps(cfg, train.size()))) {
            return run.trainAndScore(run.shuffled(train), () -> run.evaluate(eval, () -> { }), exportDir, progress);
        }
    }

    /**
     * The rows that keep some target within {@code maxLength}: a row whose prompt fills it has nothing
     * to train on. Refuses a run where no row is left, naming the setting to raise.
     */
    public static List<TokenizedExample> trainable(List<TokenizedExample> rows, FineTuneConfig cfg) {
        List<TokenizedExample> kept = rows.stream().filter(r -> r.targetIds().length > 0).toList();
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(cfg.task() + ": the prompt of every one of the " + rows.size()
                    + " training rows fills max_length " + cfg.maxLength() + ", leaving no target to train on; raise it");
        }
        return kept;
    }

    /** The task of a configuration, which must be a generative task. */
    public static Task.Generation generation(FineTuneConfig cfg) {
        if (!(Tasks.byName(cfg.task()) instanceof Task.Generation g)) {
            throw new IllegalArgumentException("task " + cfg.task() + " is not a generative task");
        }
        return g;
    }
}
