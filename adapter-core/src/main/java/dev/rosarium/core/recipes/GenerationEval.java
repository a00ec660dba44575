package dev.rosarium.core.recipes;

import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.generate.GenerationConfig;
import dev.rosarium.core.generate.Generator;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.tasks.GenerationExample;
import dev.rosarium.core.tasks.Task;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Scores a generative task: each example's prompt (wrapped in the model's chat template when asked)
 * is continued in batches, and the task decides whether each continuation is correct.
 */
public final class GenerationEval {
    /** One scored example. */
    public record Scored(GenerationExample example, String generated, boolean correct) {
    }

    /** All scored examples and the fraction correct. */
    public record Result(List<Scored> scored, double accuracy, double seconds, long generatedTokens) {
    }

    private GenerationEval() {
    }

    /**
     * Scores {@code examples}; {@code progress} gets the count scored after each batch, {@code onStep}
     * runs after every forward pass (for a heartbeat finer than a batch).
     */
    public static Result run(CausalLm lm, Task.Generation task, List<GenerationExample> examples,
                             GenerationConfig cfg, boolean useChatTemplate, int batchSize, IntConsumer progress,
                             Runnable onStep) {
        ChatTemplate chat = useChatTemplate ? ChatTemplate.parse(lm.chatTemplate()) : null;
        Generator gen = new Generator(lm);
        List<Scored> scored = new ArrayList<>();
        long t0 = System.nanoTime();
        long tokens = 0;
        int right = 0;
        for (int from = 0; from < examples.size(); from += batchSize) {
            List<GenerationExample> part = examples.subList(from, Math.min(examples.size(), from + batchSize));
            List<String> prompts = part.stream().map(e -> chat == null ? e.prompt()
                    : chat.render(List.of(new ChatTemplate.Message("user", e.prompt().strip())), true)).toList();
            List<String> outs = gen.generate(prompts, cfg, onStep);
            for (int i = 0; i < part.size(); i++) {
                boolean ok = task.correct(outs.get(i), part.get(i));
                right += ok ? 1 : 0;
                tokens += lm.tokenizer().encode(outs.get(i)).length;
                scored.add(new Scored(part.get(i), outs.get(i), ok));
            }
            progress.accept(scored.size());
        }
        return new Result(scored, examples.isEmpty() ? 0 : (double) right / examples.size(),
                (System.nanoTime() - t0) / 1e9, tokens);
    }
}
