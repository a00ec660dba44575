package dev.rosarium.infra.cli;

import dev.rosarium.workflows.SweepProgress;
import dev.rosarium.workflows.SweepWorkflow;
import dev.rosarium.workflows.TrialOutcome;
import dev.rosarium.workflows.TrialView;
import dev.rosarium.workflows.TrialWorkflow;
import dev.rosarium.infra.temporal.TrainingProbe;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Follows a sweep until it ends, with a progress bar over trials, and prints its results table. */
final class SweepWatch {
    private SweepWatch() {
    }

    static SweepProgress follow(WorkflowClient client, String sweepId, PrintStream err) throws Exception {
        CompletableFuture<SweepProgress> result = WorkflowStub.fromTyped(
                client.newWorkflowStub(SweepWorkflow.class, sweepId)).getResultAsync(SweepProgress.class);
        SweepWorkflow sweep = client.newWorkflowStub(SweepWorkflow.class, sweepId);
        ProgressBar bar = null;
        while (true) {
            try {
                SweepProgress done = result.get(2, TimeUnit.SECONDS);
                if (bar != null) {
                    bar.update(done.outcomes().size(), "done");
                }
                return done;
            } catch (TimeoutException e) {
                SweepProgress p = sweep.progress();
                if (bar == null) {
                    bar = new ProgressBar(err, "trials", p.planned());
                }
                bar.update(p.outcomes().size(), running(client, p.running()));
            }
        }
    }

    private static String running(WorkflowClient client, List<String> ids) {
        List<String> parts = new ArrayList<>();
        for (String id : ids) {
            try {
                TrialView v = client.newWorkflowStub(TrialWorkflow.class, id).view();
                String tail = id.substring(id.lastIndexOf('-') + 1);
                String steps = TrainingProbe.lastHeartbeat(client, id).map(b -> " " + b.step() + "/" + b.totalSteps())
                        .orElse("");
                parts.add("#" + tail + " " + v.stage() + steps);
            } catch (RuntimeException e) {
                parts.add(id + " starting");
            }
        }
        return String.join(", ", parts);
    }

    /** One line per trial: index, status, parameters, metrics; the best trial marked. */
    static void table(SweepProgress p, PrintStream out) {
        TreeSet<String> keys = new TreeSet<>();
        TreeSet<String> metrics = new TreeSet<>();
        for (TrialOutcome o : p.outcomes()) {
            keys.addAll(o.params().keySet());
            metrics.addAll(o.metrics().keySet());
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-6s %-9s", "trial", "status"));
        keys.forEach(k -> head.append(String.format(Locale.ROOT, " %-20s", k)));
        metrics.forEach(m -> head.append(String.format(Locale.ROOT, " %10s", m)));
        head.append(String.format(Locale.ROOT, " %6s", "steps"));
        out.println(head);
        for (TrialOutcome o : p.outcomes()) {
            boolean best = p.best() != null && p.best().index() == o.index();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-6s %-9s",
                    o.index() + (best ? " *" : ""), o.status().name().toLowerCase(Locale.ROOT)));
            for (String k : keys) {
                line.append(String.format(Locale.ROOT, " %-20s", o.params().getOrDefault(k, "")));
            }
            for (String m : metrics) {
                Double v = o.metrics().get(m);
                line.append(v == null ? String.format(Locale.ROOT, " %10s", "")
                        : String.format(Locale.ROOT, " %10.4f", v));
            }
            line.append(String.format(Locale.ROOT, " %6d", o.steps()));
            out.println(line);
        }
        if (p.best() != null) {
            out.println("* best by " + p.objective() + ": trial " + p.best().index() + " " + p.best().trialId());
        }
    }

    static int exitCode(SweepProgress p) {
        return p.cancelled() || p.outcomes().stream().anyMatch(o -> o.status().name().equals("FAILED")) ? 1 : 0;
    }

    static String describe(Map<String, Double> metrics) {
        List<String> parts = new ArrayList<>();
        metrics.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.4f", k, v)));
        return String.join(", ", parts);
    }
}
