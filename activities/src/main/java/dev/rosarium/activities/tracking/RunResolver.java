package dev.rosarium.activities.tracking;

import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps (experiment, run key) to one MLflow run, across processes: a run carries its key in the tag
 * {@value RunTags#RUN_KEY}, so a process that meets a key first searches for it and creates the run
 * only when none exists. Two processes that create the same key at once each look again after a
 * settle delay and agree on the oldest run (start time, then run id); the other one is deleted.
 */
final class RunResolver {

    /** A resolved run; {@code created} when this process made it (it holds nothing yet). */
    record ResolvedRun(String runId, String artifactUri, boolean created) {
    }

    private final MlflowClient client;
    private final Duration settle;
    private final Map<String, String> experiments = new HashMap<>();
    private final Map<String, ResolvedRun> runs = new HashMap<>();

    RunResolver(MlflowClient client, Duration settle) {
        this.client = client;
        this.settle = settle;
    }

    Optional<ResolvedRun> cached(String experiment, String runKey) {
        return Optional.ofNullable(runs.get(experiment + "\u0000" + runKey));
    }

    /** The run of a key, created (with the given start time and name) when the server has none. */
    ResolvedRun resolve(String experiment, String runKey, long startTime, String runName) throws ShippingException {
        String cacheKey = experiment + "\u0000" + runKey;
        ResolvedRun known = runs.get(cacheKey);
        if (known != null) {
            return known;
        }
        String experimentId = experimentId(experiment);
        Optional<Service.Run> existing = oldest(search(experimentId, runKey));
        ResolvedRun resolved;
        if (existing.isPresent()) {
            resolved = new ResolvedRun(existing.get().getInfo().getRunId(), existing.get().getInfo().getArtifactUri(), false);
        } else {
            resolved = create(experimentId, runKey, startTime, runName);
        }
        runs.put(cacheKey, resolved);
        return resolved;
    }

    /** The run of a key if the server has one; never creates. */
    Optional<String> find(String experiment, String runKey) throws ShippingException {
        ResolvedRun known = runs.get(experiment + "\u0000" + runKey);
        if (known != null) {
            return Optional.of(known.runId());
        }
        Optional<Service.Experiment> exp = experiment(experiment);
        if (exp.isEmpty()) {
            return Optional.empty();
        }
        return oldest(search(exp.get().getExperimentId(), runKey)).map(r -> r.getInfo().getRunId());
    }

    private ResolvedRun create(String experimentId, String runKey, long startTime, String runName) throws ShippingException {
        Service.CreateRun request = Service.CreateRun.newBuilder()
                .setExperimentId(experimentId)
                .setStartTime(startTime)
                .setRunName(runName)
                .addTags(Service.RunTag.newBuilder().setKey(RunTags.RUN_KEY).setValue(runKey))
                .addTags(Service.RunTag.newBuilder().setKey("mlflow.runName").setValue(runName))
                .build();
        Service.RunInfo mine = call("create run " + runKey, () -> client.createRun(request));
        if (!settle.isZero()) {
            try {
                Thread.sleep(settle.toMillis());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        Service.Run winner = oldest(search(experimentId, runKey)).orElseThrow(() ->
                ShippingException.unreachable("run " + mine.getRunId() + " for key " + runKey + " vanished after creation"));
        if (winner.getInfo().getRunId().equals(mine.getRunId())) {
            return new ResolvedRun(mine.getRunId(), mine.getArtifactUri(), true);
        }
        // Another process created the same key at the same moment and its run is older: use that one.
        call("delete duplicate run " + mine.getRunId(), () -> {
            client.deleteRun(mine.getRunId());
            return null;
        });
        return new ResolvedRun(winner.getInfo().getRunId(), winner.getInfo().getArtifactUri(), false);
    }

    private List<Service.Run> search(String experimentId, String runKey) throws ShippingException {
        String filter = "tags.`" + RunTags.RUN_KEY + "` = '" + runKey + "'";
        return call("search run key " + runKey, () -> client.searchRuns(List.of(experimentId), filter,
                Service.ViewType.ACTIVE_ONLY, 1000).getItems());
    }

    private static Optional<Service.Run> oldest(List<Service.Run> runs) {
        return runs.stream().min(Comparator.<Service.Run>comparingLong(r -> r.getInfo().getStartTime())
                .thenComparing(r -> r.getInfo().getRunId()));
    }

    String experimentId(String name) throws ShippingException {
        String id = experiments.get(name);
        if (id != null) {
            return id;
        }
        Optional<Service.Experiment> exp = experiment(name);
        if (exp.isPresent()) {
            if (!"active".equals(exp.get().getLifecycleStage())) {
                throw ShippingException.rejected("experiment '" + name + "' is deleted on the tracking server; restore it or pick another name");
            }
            id = exp.get().getExperimentId();
        } else {
            try {
                id = client.createExperiment(name);
            } catch (MlflowHttpException ex) {
                if (ex.getStatusCode() != 400 || !String.valueOf(ex.getBodyMessage()).contains("RESOURCE_ALREADY_EXISTS")) {
                    throw ShippingException.of("create experiment " + name, ex);
                }
                // Created by another process a moment ago.
                id = experiment(name).orElseThrow(() -> ShippingException.unreachable("experiment " + name + " exists but cannot be found"))
                        .getExperimentId();
            } catch (MlflowClientException ex) {
                throw ShippingException.of("create experiment " + name, ex);
            }
        }
        experiments.put(name, id);
        return id;
    }

    /**
     * Looks an experiment up by a search rather than get-by-name: the Java client repeats every
     * failed request, and "not found" is the usual answer here.
     */
    private Optional<Service.Experiment> experiment(String name) throws ShippingException {
        String filter = "name = '" + name + "'";
        return call("find experiment " + name, () -> client.searchExperiments(filter, Service.ViewType.ALL, 10, List.of())
                .getItems().stream().filter(e -> e.getName().equals(name)).findFirst());
    }

    interface ClientCall<T> {
        T run();
    }

    static <T> T call(String what, ClientCall<T> c) throws ShippingException {
        try {
            return c.run();
        } catch (MlflowClientException ex) {
            throw ShippingException.of(what, ex);
        }
    }
}
