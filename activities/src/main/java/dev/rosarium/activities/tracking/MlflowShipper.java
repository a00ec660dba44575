package dev.rosarium.activities.tracking;

import com.google.gson.JsonObject;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sends the outbox to an MLflow server, oldest event first. Consecutive parameters, metrics and
 * tags of one run travel together as LogBatch requests within the server's limits; a segment's
 * cursor moves past events only once the server has answered for them. The first failure that says
 * "not now" (server down, 5xx) ends the pass, leaving the rest for the next one; an event the server
 * refuses is set aside in {@code rejected.jsonl} so it cannot block the queue.
 */
final class MlflowShipper implements AutoCloseable {
    /** LogBatch limits of the MLflow REST API (per request). */
    static final int MAX_METRICS = 1000;
    static final int MAX_PARAMS = 100;
    static final int MAX_TAGS = 100;
    static final int MAX_ENTITIES = 1000;
    /** The server takes at most 1 MB per LogBatch; stay clear of it. */
    static final int MAX_BATCH_BYTES = 900_000;
    private static final int READ_BYTES = 4 << 20;

    private final String trackingUri;
    private final Outbox outbox;
    private final MlflowClient client;
    private final RunResolver runs;
    private final ArtifactUploader artifacts;
    private final ShippedSteps steps = new ShippedSteps();

    /** Counts of one pass. */
    static final class Pass {
        int shipped;
        int rejected;
        long duplicatePoints;
        int tornTails;
        String failure;

        /** Adds a later pass; its failure (or success) is the one that counts now. */
        void add(Pass later) {
            shipped += later.shipped;
            rejected += later.rejected;
            duplicatePoints += later.duplicatePoints;
            tornTails += later.tornTails;
            failure = later.failure;
        }
    }

    MlflowShipper(String trackingUri, Outbox outbox, Duration settle) {
        this.trackingUri = trackingUri;
        this.outbox = outbox;
        String token = System.getenv("MLFLOW_TRACKING_TOKEN");
        String user = System.getenv("MLFLOW_TRACKING_USERNAME");
        String password = System.getenv("MLFLOW_TRACKING_PASSWORD");
        String authorization = null;
        if (token != null && !token.isEmpty()) {
            this.client = new MlflowClient(new BasicMlflowHostCreds(trackingUri, token));
            authorization = "Bearer " + token;
        } else if (user != null && password != null) {
            this.client = new MlflowClient(new BasicMlflowHostCreds(trackingUri, user, password));
            authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        } else {
            this.client = new MlflowClient(trackingUri);
        }
        this.runs = new RunResolver(client, settle);
        this.artifacts = new ArtifactUploader(trackingUri, authorization);
    }

    String trackingUri() {
        return trackingUri;
    }

    RunResolver runs() {
        return runs;
    }

    /** One pass over every segment this process may ship. */
    Pass shipAll() {
        Pass pass = new Pass();
        try {
            for (OutboxSegment seg : outbox.shippable()) {
                if (!shipSegment(seg, pass)) {
                    break;
                }
            }
        } catch (IOException ex) {
            pass.failure = "outbox " + outbox.directory() + ": " + ex.getMessage();
        }
        return pass;
    }

    /** False when the pass must stop (the server is unreachable). */
    private boolean shipSegment(OutboxSegment seg, Pass pass) throws IOException {
        while (true) {
            List<OutboxSegment.Line> lines = seg.pending(READ_BYTES);
            if (lines.isEmpty()) {
                break;
            }
            int i = 0;
            while (i < lines.size()) {
                OutboxSegment.Line line = lines.get(i);
                if (line.event() == null) {
                    outbox.reject(line.text(), seg.file().getFileName() + ": unreadable event: " + line.error());
                    seg.ack(line.endOffset());
                    pass.rejected++;
                    i++;
                    continue;
                }
                int end = groupEnd(lines, i);
                List<OutboxSegment.Line> group = lines.subList(i, end);
                try {
                    ship(group, pass);
                    pass.shipped += group.size();
                } catch (ShippingException ex) {
                    if (ex.retryable()) {
                        pass.failure = ex.getMessage();
                        return false;
                    }
                    if (group.size() == 1) {
                        outbox.reject(line.text(), ex.getMessage());
                        pass.rejected++;
                    } else if (!shipOneByOne(group, pass)) {
                        return false;
                    }
                }
                seg.ack(group.get(group.size() - 1).endOffset());
                i = end;
            }
        }
        if (seg.tornTail()) {
            pass.tornTails++;
        }
        outbox.retireIfShipped(seg);
        return true;
    }

    /** After a refused batch: each event alone, so only the bad ones are set aside. */
    private boolean shipOneByOne(List<OutboxSegment.Line> group, Pass pass) {
        for (OutboxSegment.Line line : group) {
            try {
                ship(List.of(line), pass);
                pass.shipped++;
            } catch (ShippingException ex) {
                if (ex.retryable()) {
                    pass.failure = ex.getMessage();
                    return false;
                }
                outbox.reject(line.text(), ex.getMessage());
                pass.rejected++;
            }
        }
        return true;
    }

    /** Lines [from, end) that go in one request: data events of one run, within the batch limits. */
    private static int groupEnd(List<OutboxSegment.Line> lines, int from) {
        TrackingEvent first = lines.get(from).event();
        if (!isData(first)) {
            return from + 1;
        }
        int metrics = 0;
        int params = 0;
        int tags = 0;
        int end = from;
        while (end < lines.size()) {
            TrackingEvent e = lines.get(end).event();
            if (e == null || !isData(e) || !e.runKey().equals(first.runKey()) || !e.experiment().equals(first.experiment())) {
                break;
            }
            int m = e instanceof TrackingEvent.LogMetrics lm ? lm.metrics().size() : 0;
            int p = e instanceof TrackingEvent.LogParams lp ? lp.params().size() : 0;
            int t = e instanceof TrackingEvent.SetTags st ? st.tags().size() : 0;
            if (end > from && (metrics + m > MAX_METRICS || params + p > MAX_PARAMS || tags + t > MAX_TAGS)) {
                break;
            }
            metrics += m;
            params += p;
            tags += t;
            end++;
        }
        return end;
    }

    private static boolean isData(TrackingEvent e) {
        return e instanceof TrackingEvent.LogMetrics || e instanceof TrackingEvent.LogParams || e instanceof TrackingEvent.SetTags;
    }

    private void ship(List<OutboxSegment.Line> group, Pass pass) throws ShippingException {
        TrackingEvent first = group.get(0).event();
        if (first instanceof TrackingEvent.StartRun s) {
            startRun(s);
        } else if (first instanceof TrackingEvent.EndRun e) {
            endRun(e);
        } else if (first instanceof TrackingEvent.LogArtifact a) {
            RunResolver.ResolvedRun run = runs.resolve(a.experiment(), a.runKey(), a.time(), a.runKey());
            artifacts.upload(run.artifactUri(), Path.of(a.localPath()), a.artifactPath());
        } else {
            logData(group, pass);
        }
    }

    private void startRun(TrackingEvent.StartRun s) throws ShippingException {
        RunResolver.ResolvedRun run = runs.resolve(s.experiment(), s.runKey(), s.time(), s.runName());
        Map<String, String> tags = new HashMap<>(s.tags());
        tags.put("mlflow.runName", s.runName());
        if (s.parentRunKey() != null) {
            // A parent not on the server yet (its events still sit in another outbox) is created
            // here under its key; its own start event then finds it and fills it in.
            tags.put("mlflow.parentRunId", runs.resolve(s.experiment(), s.parentRunKey(), s.time(), s.parentRunKey()).runId());
        }
        List<Service.RunTag> tagList = new ArrayList<>();
        tags.forEach((k, v) -> tagList.add(Service.RunTag.newBuilder().setKey(k).setValue(v).build()));
        for (int i = 0; i < tagList.size(); i += MAX_TAGS) {
            List<Service.RunTag> chunk = tagList.subList(i, Math.min(tagList.size(), i + MAX_TAGS));
            RunResolver.call("tag run " + s.runKey(), () -> {
                client.logBatch(run.runId(), List.of(), List.of(), chunk);
                return null;
            });
        }
        JsonObject update = new JsonObject();
        update.addProperty("run_id", run.runId());
        update.addProperty("run_name", s.runName());
        update.addProperty("status", "RUNNING");
        RunResolver.call("reopen run " + s.runKey(), () -> client.sendPost("runs/update", update.toString()));
    }

    private void endRun(TrackingEvent.EndRun e) throws ShippingException {
        RunResolver.ResolvedRun run = runs.resolve(e.experiment(), e.runKey(), e.time(), e.runKey());
        JsonObject update = new JsonObject();
        update.addProperty("run_id", run.runId());
        update.addProperty("status", e.status().name());
        if (e.status() != RunStatus.RUNNING) {
            update.addProperty("end_time", e.time());
        }
        RunResolver.call("end run " + e.runKey(), () -> client.sendPost("runs/update", update.toString()));
    }

    private void logData(List<OutboxSegment.Line> group, Pass pass) throws ShippingException {
        TrackingEvent first = group.get(0).event();
        RunResolver.ResolvedRun run = runs.resolve(first.experiment(), first.runKey(), first.time(), first.runKey());
        boolean hasMetrics = group.stream().anyMatch(l -> l.event() instanceof TrackingEvent.LogMetrics);
        if (hasMetrics && !steps.loaded(run.runId())) {
            if (run.created()) {
                steps.startEmpty(run.runId());
            } else {
                steps.load(run.runId(), serverSteps(run.runId()));
            }
        }
        List<Service.Metric> metrics = new ArrayList<>();
        List<Service.Param> params = new ArrayList<>();
        List<Service.RunTag> tags = new ArrayList<>();
        Map<String, Set<Long>> inThisBatch = new HashMap<>();
        for (OutboxSegment.Line l : group) {
            TrackingEvent e = l.event();
            if (e instanceof TrackingEvent.LogMetrics m) {
                for (Map.Entry<String, Double> en : m.metrics().entrySet()) {
                    boolean fresh = inThisBatch.computeIfAbsent(en.getKey(), k -> new HashSet<>()).add(m.step());
                    if (!fresh || steps.contains(run.runId(), en.getKey(), m.step())) {
                        pass.duplicatePoints++;
                        continue;
                    }
                    metrics.add(Service.Metric.newBuilder().setKey(en.getKey()).setValue(en.getValue())
                            .setTimestamp(m.time()).setStep(m.step()).build());
                }
            } else if (e instanceof TrackingEvent.LogParams p) {
                p.params().forEach((k, v) -> params.add(Service.Param.newBuilder().setKey(k).setValue(v).build()));
            } else if (e instanceof TrackingEvent.SetTags t) {
                t.tags().forEach((k, v) -> tags.add(Service.RunTag.newBuilder().setKey(k).setValue(v).build()));
            }
        }
        try {
            sendBatches(run.runId(), metrics, params, tags);
        } catch (ShippingException ex) {
            // Part of it may have landed: ask the server again before the next try.
            steps.forget(run.runId());
            throw ex;
        }
        for (Service.Metric m : metrics) {
            steps.add(run.runId(), m.getKey(), m.getStep());
        }
    }

    /** Splits into LogBatch requests within the count and size limits. */
    private void sendBatches(String runId, List<Service.Metric> metrics, List<Service.Param> params,
                             List<Service.RunTag> tags) throws ShippingException {
        int mi = 0;
        int pi = 0;
        int ti = 0;
        while (mi < metrics.size() || pi < params.size() || ti < tags.size()) {
            List<Service.Metric> m = new ArrayList<>();
            List<Service.Param> p = new ArrayList<>();
            List<Service.RunTag> t = new ArrayList<>();
            int bytes = 0;
            while (pi < params.size() && p.size() < MAX_PARAMS && bytes + size(params.get(pi)) <= MAX_BATCH_BYTES) {
                bytes += size(params.get(pi));
                p.add(params.get(pi++));
            }
            while (ti < tags.size() && t.size() < MAX_TAGS && p.size() + t.size() < MAX_ENTITIES
                    && bytes + size(tags.get(ti)) <= MAX_BATCH_BYTES) {
                bytes += size(tags.get(ti));
                t.add(tags.get(ti++));
            }
            while (mi < metrics.size() && m.size() < MAX_METRICS && p.size() + t.size() + m.size() < MAX_ENTITIES
                    && bytes + 120 <= MAX_BATCH_BYTES) {
                bytes += 120 + metrics.get(mi).getKey().length();
                m.add(metrics.get(mi++));
            }
            RunResolver.call("log batch to run " + runId, () -> {
                client.logBatch(runId, m, p, t);
                return null;
            });
        }
    }

    private static int size(Service.Param p) {
        return 64 + p.getKey().length() + p.getValue().length() * 2;
    }

    private static int size(Service.RunTag t) {
        return 64 + t.getKey().length() + t.getValue().length() * 2;
    }

    /** The (key, step) pairs a run already holds on the server. */
    private Map<String, Set<Long>> serverSteps(String runId) throws ShippingException {
        Service.Run run = RunResolver.call("get run " + runId, () -> client.getRun(runId));
        Map<String, Set<Long>> out = new HashMap<>();
        for (Service.Metric latest : run.getData().getMetricsList()) {
            String key = latest.getKey();
            List<Service.Metric> history = RunResolver.call("metric history " + key, () -> client.getMetricHistory(runId, key));
            Set<Long> s = new HashSet<>();
            for (Service.Metric m : history) {
                s.add(m.getStep());
            }
            out.put(key, s);
        }
        return out;
    }

    @Override
    public void close() {
        client.close();
    }
}
