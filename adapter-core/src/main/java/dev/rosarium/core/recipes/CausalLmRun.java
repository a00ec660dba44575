package dev.rosarium.core.recipes;

import com.google.gson.JsonObject;
import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.generate.GenerationConfig;
import dev.rosarium.core.models.ModelTokenizer;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.tasks.GenerationExample;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One causal LM set up to fine-tune on a generative task, as the RoSA authors' supervised runs do:
 * each example is its prompt followed by its target (ids from {@code ExampleTokenizer}), and the loss
 * is the next-token cross-entropy on the target tokens only, averaged over the batch's target
 * tokens. Scoring generates greedily from the prompts and lets the task judge each answer. Full
 * fine-tuning trains every weight; an adapter method only its adapters (the LM head stays frozen,
 * as in peft's causal-LM setup).
 */
public final class CausalLmRun extends FineTuneRun<CausalLmRun.Batch> {
    /** One right-padded batch: prompt-plus-target ids, the key mask, and the next-token targets. */
    public record Batch(Tensor ids, Tensor mask, Tensor targets) {
    }

    /** Ignored positions of {@link Batch#targets()}: the prompt, the last real token, padding. */
    public static final int IGNORE = -100;

    private final Task.Generation task;
    private final Path modelPath;
    private final CausalLm lm;
    private final int padId;

    private CausalLmRun(Backend backend, FineTuneConfig cfg, Task.Generation task, Path modelPath, CausalLm lm,
                        AdapterMethods.Setup setup, long totalSteps) {
        super(backend, cfg, setup, lm.model().weights().trainable(),
                name -> name.endsWith("bias") || name.contains("norm"), totalSteps);
        this.task = task;
        this.modelPath = modelPath;
        this.lm = lm;
        this.padId = lm.stopIds().get(0);
    }

    /** Loads the causal LM at {@code model} (a GGUF file or a Hugging Face directory) and attaches the method. */
    public static CausalLmRun open(Backend backend, Path model, FineTuneConfig cfg, Task.Generation task,
                                   long totalSteps) throws IOException {
        boolean full = AdapterMethods.isFull(cfg.method());
        CausalLm lm = CausalLm.load(model, backend, DType.F32, name -> full, PROMPT_TOKENS);
        try {
            AdapterMethods.Setup setup = AdapterMethods.attach(cfg.method(), lm.model().linearModules(), cfg.lr(),
                    cfg.weightDecay(), cfg.seed(), totalSteps);
            return new CausalLmRun(backend, cfg, task, model, lm, setup, totalSteps);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /** Prompts are never cut when scored: the model sees what a user would send. */
    private static final int PROMPT_TOKENS = 8192;

    @Override
    protected LossFunction<Batch> loss() {
        return (t, b, ctx) -> t.crossEntropy(lm.model().logits(t, b.ids(), null, b.mask(), ctx), b.targets(), IGNORE);
    }

    @Override
    public DataSource<Batch> shuffled(List<TokenizedExample> rows) {
        return new ShuffledBatches<>(rows, cfg.batchSize(), cfg.seed(), this::collate);
    }

    /**
     * The task's metric ({@code accuracy}: the fraction of answers the task counts correct) of greedy
     * generations of at most {@code maxLength} new tokens, {@code batchSize} prompts at a time;
     * {@code onStep} runs after every forward pass (a heartbeat).
     */
    public Map<String, Double> evaluate(List<GenerationExample> rows, Runnable onStep) {
        return Map.of("accuracy", generate(rows, onStep).accuracy());
    }

    /** The generations {@link #evaluate} scores, each with the task's verdict. */
    public GenerationEval.Result generate(List<GenerationExample> rows, Runnable onStep) {
        return GenerationEval.run(lm, task, rows, GenerationConfig.greedy(cfg.maxLength()), lm.chatTemplate() != null,
                cfg.batchSize(), done -> { }, onStep);
    }

    /** Task type CAUSAL_LM, no modules_to_save. */
    @Override
    public boolean exportAdapter(Path target) throws IOException {
        return setup.saveAdapter(target, List.of(), cfg.model(), "CAUSAL_LM", DType.F32);
    }

    /**
     * As a transformers LlamaForCausalLM directory with the tokenizer's {@code tokenizer.json} and,
     * where the model has a chat template, a {@code tokenizer_config.json} holding it (the prompts
     * were trained through it, so whoever loads the model needs it).
     */
    @Override
    public void exportModel(Path target) throws IOException {
        lm.model().linearModules().values().forEach(Linear::dequantize);
        Map<String, Path> files = new HashMap<>();
        files.put("tokenizer.json", ModelTokenizer.locate(modelPath).tokenizerJson());
        Path config = null;
        try {
            if (lm.chatTemplate() != null) {
                JsonObject c = new JsonObject();
                c.addProperty("chat_template", lm.chatTemplate());
                config = Files.createTempFile("tokenizer_config", ".json");
                Files.writeString(config, c.toString());
                files.put(ModelTokenizer.TOKENIZER_CONFIG, config);
            }
            lm.model().saveHfDirectory(target, lm.stopIds().get(0), DType.F32, files);
        } finally {
            if (config != null) {
                Files.deleteIfExists(config);
            }
        }
    }

    Batch collate(List<TokenizedExample> rows) {
        List<int[]> whole = rows.stream().map(r -> concat(r.inputIds(), r.targetIds())).toList();
        TokenizedBatch b = TokenizedBatch.pad(whole, whole.stream().map(w -> new int[0]).toList(), padId);
        return new Batch(backend.fromInts(b.ids(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(b.mask(), DType.I32, b.batch(), b.seq()),
                backend.fromInts(nextTokenTargets(rows, b.seq()), DType.I32, b.batch(), b.seq()));
    }

    /**
     * Row-major {@code (rows, seq)} targets of a right-padded batch of prompt-plus-target sequences:
     * position p of a row is trained to predict token p + 1 where that token belongs to the target,
     * and is {@link #IGNORE}d elsewhere.
     */
    static int[] nextTokenTargets(List<TokenizedExample> rows, int seq) {
        int[] out = new int[rows.size() * seq];
        Arrays.fill(out, IGNORE);
        for (int i = 0; i < rows.size(); i++) {
            int prompt = rows.get(i).inputIds().length;
            int[] target = rows.get(i).targetIds();
            for (int j = prompt == 0 ? 1 : 0; j < target.length; j++) {
                out[i * seq + prompt + j - 1] = target[j];
            }
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public void close() {
        lm.close();
    }
}
