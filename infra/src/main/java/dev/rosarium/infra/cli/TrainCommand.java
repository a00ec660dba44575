package dev.rosarium.infra.cli;

import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.recipes.ClassificationConfig;
import dev.rosarium.core.recipes.ClassificationRecipe;
import dev.rosarium.core.recipes.ClassificationResult;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.kernels.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rosarium train}: one fine-tuning run of an encoder on a classification task, on the CPU or a GPU. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune an encoder on a classification task (fully or with an adapter) and score it before and after.")
public final class TrainCommand implements Callable<Integer> {
    private static final ClassificationConfig D = ClassificationConfig.defaults();

    @Option(names = "--device", description = "Where to compute: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--model", description = "Packaged model id or Hugging Face model directory (default: ${DEFAULT-VALUE}).")
    String model = D.model();

    @Option(names = "--task", description = "Classification task: sst2 or mrpc (default: ${DEFAULT-VALUE}).")
    String task = D.task();

    @Option(names = "--data", description = "Data directory holding sst2/, mrpc/, gsm8k/ (default: $ROSARIUM_DATA or ../shared/data).")
    Path data;

    @Option(names = "--train-rows", description = "Training rows, a seeded random subset; -1 for all (default: ${DEFAULT-VALUE}).")
    int trainRows = D.trainRows();

    @Option(names = "--eval-rows", description = "Held-out rows to score; -1 for all (default: ${DEFAULT-VALUE}).")
    int evalRows = D.evalRows();

    @Option(names = "--batch-size", description = "Examples per optimizer step (default: ${DEFAULT-VALUE}).")
    int batchSize = D.batchSize();

    @Option(names = "--max-length", description = "Tokens per example after truncation (default: ${DEFAULT-VALUE}).")
    int maxLength = D.maxLength();

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

    @Option(names = "--export", description = "Directory to save the trained adapter (adapter/, peft layout with the head) "
            + "and the merged model (merged/, a transformers directory) into; nothing is saved when absent.")
    Path export;

    @Override
    public Integer call() throws Exception {
        MethodSpec spec = new MethodSpec(method, r, alpha, adapterDropout, targets, density, loraLr, maskWarmup, 1,
                "mean_squared", resampleEvery, "random", tau, -1, -1, false, densityPattern);
        ClassificationConfig cfg = new ClassificationConfig(model, task, trainRows, evalRows, batchSize, maxLength, lr,
                weightDecay, epochs, warmupRatio, maxGradNorm, seed, spec);
        Path dataRoot = data != null ? data : DataFiles.defaultRoot();
        System.err.println("rosarium train: " + cfg);
        ClassificationRecipe recipe = new ClassificationRecipe(Devices.byName(device), dataRoot, ModelCache.standard());
        if (export != null) {
            recipe = recipe.exportingTo(export);
        }
        ProgressBar[] bar = new ProgressBar[1];
        ClassificationResult res = recipe.run(cfg, m -> {
            if (bar[0] == null) {
                bar[0] = new ProgressBar(System.err, "train", m.totalSteps());
            }
            bar[0].update(m.step(), String.format(Locale.ROOT, "loss %.4f", m.loss()));
        });
        System.out.printf(Locale.ROOT, "task %s, model %s, method %s, %d trainable parameters, %d steps in %.1f s%n",
                task, model, method, res.trainableParams(), res.steps(), res.trainSeconds());
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
