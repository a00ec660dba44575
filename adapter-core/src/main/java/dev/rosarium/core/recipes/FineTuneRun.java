package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.adapters.RosaSchedule;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.LrSchedule;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.TokenizedExample;
import dev.rosarium.core.train.Checkpoint;
import dev.rosarium.core.train.CheckpointStore;
import dev.rosarium.core.train.DataSource;
import dev.rosarium.core.train.LossFunction;
import dev.rosarium.core.train.StepHook;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.core.train.TrainingLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What every fine-tuning run shares once its model is loaded: the method's adapters attached, AdamW
 * over the adapters' groups and the model's own trainable weights, linear warm-up and decay, the
 * method's step hooks, and the training loop over batches of {@code B} with the model's loss. The
 * model-specific runs ({@link ClassifierRun}, {@link CausalLmRun}) add loading, batching, scoring
 * and export.
 */
public abstract class FineTuneRun<B> implements AutoCloseable {
    protected final Backend backend;
    protected final FineTuneConfig cfg;
    protected final AdapterMethods.Setup setup;
    private final AdamW optimizer;
    private final List<StepHook> hooks;
    private final long totalSteps;

    /**
     * Builds the optimizer: the adapters' groups, then the model's {@code trainable} weights with
     * weight decay except those {@code noDecay} names (transformers' convention: biases and norms).
     */
    protected FineTuneRun(Backend backend, FineTuneConfig cfg, AdapterMethods.Setup setup,
                          List<NamedParameter> trainable, Predicate<String> noDecay, long totalSteps) {
        this.backend = backend;
        this.cfg = cfg;
        this.setup = setup;
        this.totalSteps = totalSteps;
        List<NamedParameter> decayed = new ArrayList<>();
        List<NamedParameter> plain = new ArrayList<>();
        for (NamedParameter p : trainable) {
            (noDecay.test(p.name()) ? plain : decayed).add(p);
        }
        List<ParamGroup> groups = new ArrayList<>(setup.groups());
        groups.add(new ParamGroup("decay", decayed, cfg.lr(), cfg.weightDecay()));
        groups.add(new ParamGroup("no_decay", plain, cfg.lr(), 0.0));
        this.optimizer = AdamW.withDefaults(groups);
        this.hooks = setup.hooks().apply(optimizer);
    }

    /** Releases the model's files and tokenizer. */
    @Override
    public abstract void close() throws IOException;

    /** Optimizer steps of a run over {@code trainRows} rows. */
    public static long totalSteps(FineTuneConfig cfg, int trainRows) {
        return (long) ((trainRows + cfg.batchSize() - 1) / cfg.batchSize()) * cfg.epochs();
    }

    public long totalSteps() {
        return totalSteps;
    }

    /** The loss of one batch, as the model computes it in training ({@code ctx} drives dropout). */
    protected abstract LossFunction<B> loss();

    /** RoSA's and SpA's mask schedule, for methods that have one. */
    public Optional<RosaSchedule> rosaSchedule() {
        return hooks.stream().filter(RosaSchedule.class::isInstance).map(RosaSchedule.class::cast).findFirst();
    }

    /** Batches of tokenized {@code rows}, reshuffled every epoch from (seed, epoch); the position is the batch count. */
    public abstract DataSource<B> shuffled(List<TokenizedExample> rows);

    /** The training loop over {@link #shuffled} batches of {@code rows}. */
    public TrainingLoop<B> loopOver(List<TokenizedExample> rows, CheckpointStore store, int every) {
        return loop(shuffled(rows), store, every);
    }

    /** The training loop over {@code data}; checkpoints go to {@code store} (may be null) every {@code every} steps. */
    public TrainingLoop<B> loop(DataSource<B> data, CheckpointStore store, int every) {
        LrSchedule schedule = new LrSchedule.LinearWarmupDecay(Math.round(cfg.warmupRatio() * totalSteps), totalSteps);
        TrainingLoop<B> loop = new TrainingLoop<>(backend, optimizer, schedule, data, loss(),
                new TrainingLoop.Settings(totalSteps, 1, cfg.maxGradNorm(), every, cfg.seed(), cfg.toString()), store);
        hooks.forEach(loop::addHook);
        return loop;
    }

    /**
     * What a recipe does in one go: scores the model, trains it to the end on {@code data}, scores
     * it, saves the adapter, merges it, scores again and saves the merged model. {@code exportDir}
     * (none when null) receives {@code adapter/} (methods with an adapter file) and {@code merged/}.
     */
    public FineTuneResult trainAndScore(DataSource<B> data, Supplier<Map<String, Double>> score, Path exportDir,
                                        Consumer<StepMetrics> progress) throws IOException {
        Map<String, Double> before = score.get();
        TrainingLoop<B> loop = loop(data, null, 0);
        long t0 = System.nanoTime();
        double[] last = new double[1];
        loop.run(m -> {
            last[0] = m.loss();
            progress.accept(m);
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        long trainable = trainableParameters();
        Map<String, Double> after = score.get();
        if (exportDir != null) {
            exportAdapter(exportDir.resolve("adapter"));
        }
        mergeAdapters();
        Map<String, Double> merged = score.get();
        if (exportDir != null) {
            exportModel(exportDir.resolve("merged"));
        }
        return new FineTuneResult(before, after, merged, totalSteps, last[0], seconds, trainable);
    }

    /** Writes the adapter in peft's directory format; false when the method has none (full fine-tuning). */
    public abstract boolean exportAdapter(Path target) throws IOException;

    /**
     * Writes the model with its current weights as a transformers directory with its tokenizer; a
     * 4-bit base is written dequantized, so transformers reads it without bitsandbytes.
     */
    public abstract void exportModel(Path target) throws IOException;

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

    /** Folds the adapters into the base weights and removes them (nothing to do for full fine-tuning). */
    public void mergeAdapters() {
        if (setup.adapters() != null) {
            setup.adapters().mergeAndUnload();
        }
    }
}
