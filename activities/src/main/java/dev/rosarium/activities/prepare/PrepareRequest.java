package dev.rosarium.activities.prepare;

import java.nio.file.Path;

/**
 * What to prepare: a task's rows tokenized with a model's tokenizer.
 *
 * @param task       a name in the task registry ({@code sst2}, {@code mrpc}, {@code gsm8k}, ...)
 * @param model      a packaged model id or a model path, resolved by the model cache; its tokenizer is used
 * @param maxLength  tokens per example at most (input plus target for generative tasks)
 * @param trainRows  training rows, a random subset drawn with {@code seed}; 0 or less for all
 * @param evalRows   the first held-out rows; negative for all
 * @param outputRoot where prepared directories live, one per content hash
 * @param runner     the Beam runner: {@code direct} (default), {@code flink} or {@code spark}, optionally
 *                   followed by Beam pipeline options ({@code "flink --flinkMaster=host:8081"})
 */
public record PrepareRequest(String task, String model, int maxLength, int trainRows, int evalRows, long seed,
                             Path dataRoot, Path outputRoot, String runner) {
    public PrepareRequest {
        if (task == null || task.isBlank() || model == null || model.isBlank()) {
            throw new IllegalArgumentException("task and model must be given");
        }
        if (maxLength < 8) {
            throw new IllegalArgumentException("maxLength " + maxLength + " (expected 8 or more)");
        }
        if (dataRoot == null || outputRoot == null) {
            throw new IllegalArgumentException("dataRoot and outputRoot must be given");
        }
        if (runner == null || runner.isBlank()) {
            runner = "direct";
        }
    }
}
