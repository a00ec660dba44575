package dev.rosarium.core.recipes;

import dev.rosarium.core.tasks.Tasks;

/**
 * One fine-tuning run: an encoder on a classification task ({@link ClassificationRecipe}) or a
 * causal LM on a generative one ({@link GenerationRecipe}).
 *
 * @param model       a packaged model id (see ModelPackage) or a Hugging Face model directory
 * @param trainRows   how many training rows to use (a seeded random subset), or -1 for all
 * @param evalRows    how many held-out rows to score (the first ones), or -1 for all
 * @param maxLength   tokens an example keeps (prompt plus target for a generative task, which is
 *                    also the most tokens generated when it is scored)
 * @param warmupRatio fraction of the steps with linear learning-rate warm-up, then linear decay
 * @param method      the fine-tuning method and its hyper-parameters (full fine-tuning or an adapter)
 */
public record FineTuneConfig(String model, String task, int trainRows, int evalRows, int batchSize,
                             int maxLength, double lr, double weightDecay, int epochs, double warmupRatio,
                             double maxGradNorm, long seed, dev.rosarium.core.adapters.MethodSpec method) {
    public FineTuneConfig {
        if (batchSize < 1 || epochs < 1 || maxLength < 8 || !(lr > 0)) {
            throw new IllegalArgumentException("batchSize and epochs must be >= 1, maxLength >= 8 and lr > 0");
        }
    }

    /**
     * The packaged model a task gets unless one is named: MiniLM for a classification task,
     * SmolLM2-135M-Instruct for a generative one. An unknown task is refused, naming the known ones.
     */
    public static String defaultModel(String task) {
        return Tasks.generative(task) ? dev.rosarium.core.model.ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1.id()
                : dev.rosarium.core.model.ModelPackage.ALL_MINILM_L6_V2.id();
    }

    /**
     * The tokens an example keeps unless told: 64 for a classification task (SST-2 and MRPC fit), and
     * the RoSA authors' max_seq_len of 512 for a generative one, whose prompts alone often pass 64
     * (a GSM8k prompt in a chat template has a median of ~64 tokens, its answer ~100 more).
     */
    public static int defaultMaxLength(String task) {
        return Tasks.generative(task) ? 512 : 64;
    }

    /** Whether the task is generative (a causal LM scored by generation) rather than a classification. */
    public boolean generative() {
        return Tasks.generative(task);
    }

    /**
     * The text that content-addressed outputs (masks, trial directories) are keyed on: the record's
     * text under the name it had when those keys were first written, so work cached before the
     * rename to FineTuneConfig is still found.
     */
    public String cacheKey() {
        return "ClassificationConfig" + toString().substring(getClass().getSimpleName().length());
    }

    /** The embedded defaults: MiniLM on 2,000 SST-2 rows, full fine-tuning, 3 epochs. */
    public static FineTuneConfig defaults() {
        return new FineTuneConfig("all-minilm-l6-v2", "sst2", 2000, -1, 32, 64, 5e-5, 0.01, 3, 0.06, 1.0, 42,
                dev.rosarium.core.adapters.MethodSpec.defaults("full"));
    }
}
