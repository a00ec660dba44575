package dev.rosarium.activities.trial;

import io.temporal.activity.ActivityInterface;

/**
 * The steps of a trial. Each writes a content-addressed output and returns where it is; called
 * again when that output exists, a step does nothing and returns the same reference.
 */
@ActivityInterface
public interface TrialActivities {
    /** Tokenizes the task's rows with the model's tokenizer into token shards. */
    PreparedRef prepare(TrialConfig trial);

    /** RoSA/SpA: the LoRA warm-up and gradient statistics that pick the sparse masks. */
    MaskRef warmUp(TrialConfig trial, PreparedRef data);

    /**
     * Trains through segment {@code rung} (of {@code trial.rungs()}), heartbeating {step, checkpoint}
     * and resuming from the newest checkpoint on a retry; scores the held-out split at its end.
     */
    TrainProgress train(TrialConfig trial, PreparedRef data, MaskRef masks, int rung);

    /** Exports the adapter in peft's format and folds it into the base weights, written as a model directory. */
    MergedRef merge(TrialConfig trial, PreparedRef data, MaskRef masks, TrainProgress trained);

    /** Scores the merged model on the held-out split and writes its predictions. */
    EvalResult evaluate(TrialConfig trial, PreparedRef data, MergedRef merged);
}
