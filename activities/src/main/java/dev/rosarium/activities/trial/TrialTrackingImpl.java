package dev.rosarium.activities.trial;

import com.google.gson.GsonBuilder;
import dev.rosarium.activities.tracking.RunStatus;
import dev.rosarium.activities.tracking.RunTags;
import dev.rosarium.activities.tracking.Tracker;
import dev.rosarium.core.io.AtomicFiles;
import io.temporal.activity.Activity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sweep and trial runs through the worker's {@link Trackers} (the outbox first, MLflow when reachable). */
public final class TrialTrackingImpl implements TrialTracking {
    private final Trackers trackers;
    private final Path configs;
    private final Map<String, String> provenance;

    /** {@code configs}: where trial configuration files are kept for upload. */
    public TrialTrackingImpl(Trackers trackers, Path configs) {
        this.trackers = trackers;
        this.configs = configs;
        this.provenance = RunTags.gitCommit(Path.of("")).map(c -> Map.of(RunTags.GIT_COMMIT, c)).orElse(Map.of());
    }

    static RunStatus status(String outcome) {
        return switch (outcome) {
            case "finished" -> RunStatus.FINISHED;
            case "failed" -> RunStatus.FAILED;
            case "pruned", "cancelled" -> RunStatus.KILLED;
            default -> throw new IllegalArgumentException("unknown outcome '" + outcome + "'");
        };
    }

    @Override
    public void sweepStarted(String sweepId, String name, String experiment, Map<String, String> params) {
        Tracker t = trackers.of(experiment);
        Map<String, String> tags = new LinkedHashMap<>(provenance);
        tags.put("rosarium.kind", "sweep");
        tags.put("rosarium.workflow_id", sweepId);
        t.startRun(sweepId, name, null, tags);
        t.logParams(sweepId, params);
    }

    @Override
    public void trialStarted(TrialConfig trial, Map<String, String> settings) {
        Tracker t = trackers.of(trial.experiment());
        Map<String, String> tags = new LinkedHashMap<>(provenance);
        tags.put("rosarium.kind", "trial");
        tags.put("rosarium.workflow_id", trial.trialId());
        tags.put(RunTags.METHOD, trial.fineTune().method().method());
        String name = trial.sweepId() == null ? trial.trialId() : "trial-" + trial.index() + " "
                + String.join(" ", trial.params().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        t.startRun(trial.trialId(), name.strip(), trial.sweepId(), tags);
        Map<String, String> params = new LinkedHashMap<>(settings);
        params.put("checkpoint_every", Integer.toString(trial.checkpointEvery()));
        params.put("rungs", Integer.toString(trial.rungs()));
        t.logParams(trial.trialId(), params);
        Path file = configs.resolve(trial.trialId()).resolve("config.json");
        try {
            AtomicFiles.write(file, new GsonBuilder().setPrettyPrinting().create().toJson(Map.of("trial", trial,
                    "settings", settings)).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw Activity.wrap(e);
        }
        t.logArtifact(trial.trialId(), file, "config");
    }

    @Override
    public void trialEnded(TrialConfig trial, String outcome) {
        Tracker t = trackers.of(trial.experiment());
        t.setTags(trial.trialId(), Map.of(RunTags.OUTCOME, outcome));
        t.endRun(trial.trialId(), status(outcome));
    }

    @Override
    public void sweepEnded(String sweepId, String experiment, String outcome, Map<String, Double> summary) {
        Tracker t = trackers.of(experiment);
        t.logMetrics(sweepId, summary, 0);
        t.setTags(sweepId, Map.of(RunTags.OUTCOME, outcome));
        t.endRun(sweepId, status(outcome));
    }
}
