package dev.rosarium.infra.cli;

import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.recipes.FineTuneConfig;
import dev.rosarium.core.recipes.ClassificationRecipe;
import dev.rosarium.core.recipes.FineTuneResult;
import dev.rosarium.core.recipes.GenerationRecipe;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.train.StepMetrics;
import dev.rosarium.kernels.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code rosarium train}: one fine-tuning run, on the CPU or a GPU: an encoder on a classification
 * task, or a causal LM on a generative one.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a model (fully or with an adapter) on a task and score it before and after: an encoder "
                + "on a classification task (sst2, mrpc), or a causal LM on a generative one (gsm8k, viggo, sql), "
                + "scored by greedy generation.")
public final class TrainCommand implements Callable<Integer> {
    private static final FineTuneConfig D = FineTuneConfig.defaults();

    @Option(names = "--device", description = "Where to compute: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--model", description = "Packaged model id, GGUF file or Hugging Face model directory (default: "
            + "all-minilm-l6-v2 for a classification task, smollm2-135m-instruct-q4_1 for a generative one).")
    String model;

    @Option(names = "--task", description = "sst2 or mrpc (classification), gsm8k, viggo or sql (generative) "
            + "(default: ${DEFAULT-VALUE}).")
    String task = D.task();

    @Option(names = "--data", description = "Data directory holding sst2/, mrpc/, gsm8k/ (default: $ROSARIUM_DATA or ../shared/data).")
    Path data;

    @Option(names = "--train-rows", description = "Training rows, a seeded random subset; -1 for all (default: ${DEFAULT-VALUE}).")
    int trainRows = D.trainRows();

    @Option(names = "--eval-rows", description = "Held-out rows to score; -1 for all (default: ${DEFAULT-VALUE}).")
    int evalRows = D.evalRows();

    @Option(names = "--batch-size", description = "Examples per optimizer step (default: ${DEFAULT-VALUE}).")
    int batchSize = D.batchSize();

    @Option(names = "--max-length", description = "Tokens per example after truncation; for a generative task prompt "
            + "plus answer, and the most tokens generated when scoring (default: 64 for a classification task, 512 for "
            + "a generative one).")
    Integer maxLength;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = D.lr();

    @Option(names = "--weight-decay", description = "AdamW weight decay, not applied to biases and norms (default: ${DEFAULT-VALUE}).")
    double weightDecay = D.weightDecay();

    @Option(names = "--epochs", description = "Passes over the training rows (default: ${DEFAULT-VALUE}).")
    int epochs = D.epochs();

    @Option(names = "--warmup-ratio", description = "Fraction of steps of linear warm-up (default: ${DEFAULT-VALUE}).")
    double warmupRatio = D.warmupRatio();

    @Option(names = "--max-grad-norm", description = "Global gradient-norm clip; 0 disables (default: ${DEFAULT-VALUE}).")
    double maxGradNorm = D.maxGradNorm();

    @Option(names = "--seed", description = "Seed for the subset, shuffling, head init and dropout (default: ${DEFAULT-VALUE}).")
    long seed = D.seed();

    @Option(names = "--method", description = "full, lora, spa, rosa, qrosa (RoSA on a 4-bit NF4 base), subspace (ROSA) or roselora (default: ${DEFAULT-VALUE}).")
    String method = "full";

    @Option(names = "--r", description = "Adapter rank (default: ${DEFAULT-VALUE}).")
    int r = 16;

    @Option(names = "--alpha", description = "LoRA alpha; scaling is alpha / r (default: ${DEFAULT-VALUE}).")
    double alpha = 16;

    @Option(names = "--adapter-dropout", description = "Dropout on the adapter input (default: ${DEFAULT-VALUE}).")
    double adapterDropout = 0.05;

    @Option(names = "--targets", description = "Target modules: comma-separated names, all-linear, or re:<regex> (default: ${DEFAULT-VALUE}).")
    String targets = "all-linear";

    @Option(names = "--density", description = "RoSA/SpA sparse density per layer (default: ${DEFAULT-VALUE}).")
    double density = 0.006;

    @Option(names = "--density-pattern", split = ",", description = "RoSA/SpA per-module densities overriding --density, "
            + "as peft's density_pattern: module-suffix=density pairs, e.g. down_proj=0.01,q_proj=0.002.")
    java.util.LinkedHashMap<String, Double> densityPattern = new java.util.LinkedHashMap<>();

    @Option(names = "--lora-lr", description = "Learning rate of low-rank factors; 0 uses --lr (default: ${DEFAULT-VALUE}).")
    double loraLr = 0;

    @Option(names = "--mask-warmup-steps", description = "RoSA: LoRA-only steps before collecting mask statistics (default: ${DEFAULT-VALUE}).")
    int maskWarmup = 64;

    @Option(names = "--resample-every", description = "ROSA: steps between subspace resamples, 0 never (default: ${DEFAULT-VALUE}).")
    int resampleEvery = 0;

    @Option(names = "--tau", description = "RoseLoRA: final keep-rate (default: ${DEFAULT-VALUE}).")
    double tau = 0.1;

    @Option(names = "--export", description = "Directory to save the trained adapter (adapter/, peft layout; a classifier's "
            + "head as modules_to_save) and the merged model (merged/, a transformers directory) into; nothing is saved "
            + "when absent.")
    Path export;

    @Override
    public Integer call() throws Exception {
        MethodSpec spec = new MethodSpec(method, r, alpha, adapterDropout, targets, density, loraLr, maskWarmup, 1,
                "mean_squared", resampleEvery, "random", tau, -1, -1, false, densityPattern);
        boolean generative = Tasks.generative(task);
        String modelId = model != null ? model : FineTuneConfig.defaultModel(task);
        FineTuneConfig cfg = new FineTuneConfig(modelId, task, trainRows, evalRows, batchSize,
                maxLength != null ? maxLength : FineTuneConfig.defaultMaxLength(task), lr,
                weightDecay, epochs, warmupRatio, maxGradNorm, seed, spec);
        Path dataRoot = data != null ? data : DataFiles.defaultRoot();
        System.err.println("rosarium train: " + cfg);
        Backend backend = Devices.byName(device);
        ProgressBar[] bar = new ProgressBar[1];
        Consumer<StepMetrics> progress = m -> {
            if (bar[0] == null) {
                bar[0] = new ProgressBar(System.err, "train", m.totalSteps());
            }
            bar[0].update(m.step(), String.format(Locale.ROOT, "loss %.4f", m.loss()));
        };
        FineTuneResult res;
        if (generative) {
            GenerationRecipe recipe = new GenerationRecipe(backend, dataRoot, ModelCache.standard());
            res = (export != null ? recipe.exportingTo(export) : recipe).run(cfg, progress);
        } else {
            ClassificationRecipe recipe = new ClassificationRecipe(backend, dataRoot, ModelCache.standard());
            res = (export != null ? recipe.exportingTo(export) : recipe).run(cfg, progress);
        }
        System.out.printf(Locale.ROOT, "task %s, model %s, method %s, %d trainable parameters, %d steps in %.1f s%n",
                task, modelId, method, res.trainableParams(), res.steps(), res.trainSeconds());
        System.out.println("held-out before training: " + res.before());
        System.out.println("held-out after training:  " + res.after());
        System.out.println("held-out after merging:   " + res.merged());
        if (export != null) {
            System.out.println("saved: " + export.resolve("merged") + (Files.isDirectory(export.resolve("adapter"))
                    ? ", " + export.resolve("adapter") : " (this method has no adapter file)"));
        }
        return 0;
    }
}
