package dev.rosarium.infra.cli;

import dev.rosarium.core.generate.GenerationConfig;
import dev.rosarium.core.generate.Generator;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.recipes.GenerationEval;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tasks.Tasks;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.kernels.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rosarium generate}: continue a prompt, or score a generative task, with a causal LM on the CPU. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate from a causal LM: one --prompt, or the first --limit examples of a generative --task, scored.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--device", description = "Where to compute: cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device = "cpu";

    @Option(names = "--model", description = "Packaged model id, GGUF file, or Hugging Face model directory (default: ${DEFAULT-VALUE}).")
    String model = ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1.id();

    @Option(names = "--prompt", description = "Text to continue (sent through the chat template unless --raw).")
    String prompt;

    @Option(names = "--task", description = "Generative task to score: gsm8k, viggo, sql.")
    String task;

    @Option(names = "--data", description = "Data directory (default: $ROSARIUM_DATA or ../shared/data).")
    Path data;

    @Option(names = "--limit", description = "Score the first N held-out examples (default: ${DEFAULT-VALUE}).")
    int limit = 100;

    @Option(names = "--show", description = "Print this many generations in full (default: ${DEFAULT-VALUE}).")
    int show = 5;

    @Option(names = "--batch-size", description = "Sequences generated together (default: ${DEFAULT-VALUE}).")
    int batchSize = 8;

    @Option(names = "--max-new-tokens", description = "Tokens generated at most per sequence (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 256;

    @Option(names = "--temperature", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    float temperature = 0f;

    @Option(names = "--top-p", description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    float topP = 1f;

    @Option(names = "--seed", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--raw", description = "Do not apply the model's chat template.")
    boolean raw;

    @Override
    public Integer call() throws Exception {
        Path modelPath = ModelCache.standard().resolve(model);
        GenerationConfig cfg = new GenerationConfig(maxNewTokens, temperature, topP, seed);
        try (CausalLm lm = CausalLm.load(modelPath, Devices.byName(device), DType.F32, n -> false, 8192)) {
            if (prompt != null) {
                String p = raw ? prompt : dev.rosarium.core.generate.ChatTemplate.parse(lm.chatTemplate())
                        .render(List.of(new dev.rosarium.core.generate.ChatTemplate.Message("user", prompt)), true);
                System.out.println(new Generator(lm).generate(List.of(p), cfg).get(0));
                return 0;
            }
            if (task == null) {
                System.err.println("give --prompt or --task");
                return 2;
            }
            if (!(Tasks.byName(task) instanceof Task.Generation gt)) {
                System.err.println("task " + task + " is not generative");
                return 2;
            }
            List<GenerationExample> ex = gt.read(data != null ? data : DataFiles.defaultRoot(), Split.EVAL);
            ex = ex.subList(0, Math.min(limit, ex.size()));
            ProgressBar bar = new ProgressBar(System.err, "generate", ex.size());
            GenerationEval.Result r = GenerationEval.run(lm, gt, ex, cfg, !raw, batchSize, n -> bar.update(n, ""),
                    () -> { });
            for (int i = 0; i < Math.min(show, r.scored().size()); i++) {
                GenerationEval.Scored s = r.scored().get(i);
                System.out.printf(Locale.ROOT, "--- example %d (%s; reference %s)%nQ: %s%nA: %s%n", i + 1,
                        s.correct() ? "correct" : "wrong", s.example().reference(), s.example().prompt().strip(),
                        s.generated().strip());
            }
            System.out.printf(Locale.ROOT, "%s: %d/%d correct = %.1f%% (model %s, %s decoding, %.0f s, %.1f tokens/s)%n",
                    task, Math.round(r.accuracy() * ex.size()), ex.size(), 100 * r.accuracy(), model,
                    temperature == 0 ? "greedy" : "sampled", r.seconds(), r.generatedTokens() / r.seconds());
            return 0;
        }
    }
}
