package dev.rosarium.activities.trial;

import com.fasterxml.jackson.annotation.JsonAlias;
import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.recipes.FineTuneConfig;

import java.util.Map;

/**
 * Everything one trial needs, small enough to travel through Temporal.
 *
 * @param sweepId          the parent sweep's workflow id, or null for a lone trial
 * @param fineTune         the run's settings (named {@code classification} in histories written before
 *                         generative tasks, which still replay)
 * @param index            the trial's number in its sweep (0 for a lone trial)
 * @param trialId          the trial's workflow id, also its tracking run key
 * @param params           the sampled hyper-parameters, by spec key (what distinguishes it in its sweep)
 * @param checkpointEvery  optimizer steps between checkpoints
 * @param rungs            how many equal segments training runs in; after each but the last the
 *                         trial reports its held-out metrics to the sweep, which may stop it
 * @param taskQueue        the queue of the workers that run its activities (cpu, gpu)
 * @param heartbeatSeconds how long a silent training activity may go before it is retried elsewhere
 */
public record TrialConfig(String sweepId, int index, String trialId, String experiment,
                          @JsonAlias("classification") FineTuneConfig fineTune, Map<String, String> params,
                          int checkpointEvery,
                          int rungs, String taskQueue, int heartbeatSeconds) {
    public TrialConfig {
        if (checkpointEvery < 1 || rungs < 1 || heartbeatSeconds < 1) {
            throw new IllegalArgumentException("checkpointEvery, rungs and heartbeatSeconds must be >= 1");
        }
        params = Map.copyOf(params);
    }

    /** RoSA and SpA pick their sparse support in a warm-up before training. */
    public boolean needsMasks() {
        MethodSpec m = fineTune.method();
        return (m.method().equals("rosa") || m.method().equals("spa")) && m.density() > 0;
    }
}
