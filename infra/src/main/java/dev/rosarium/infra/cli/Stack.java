package dev.rosarium.infra.cli;

import dev.rosarium.activities.tracking.LocalMlflowServer;
import dev.rosarium.activities.trial.Trackers;
import dev.rosarium.activities.trial.TrialWorkspace;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.infra.temporal.EmbeddedTemporal;
import dev.rosarium.infra.temporal.RosariumWorker;
import dev.rosarium.infra.temporal.Temporal;
import dev.rosarium.workflows.SweepWorkflow;
import io.temporal.client.WorkflowClient;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The services one command uses: a Temporal client (to the given frontend or an embedded test
 * server), optionally a local MLflow server, the worker's trackers and workspace, and a worker in
 * this process when the command runs trials itself.
 */
final class Stack implements AutoCloseable {
    private final EmbeddedTemporal embedded;
    private final LocalMlflowServer mlflow;
    private final WorkflowClient client;
    private final String trackingUri;
    private final StackOptions options;
    private Trackers trackers;
    private RosariumWorker worker;

    private Stack(EmbeddedTemporal embedded, LocalMlflowServer mlflow, WorkflowClient client, String trackingUri,
                  StackOptions options) {
        this.embedded = embedded;
        this.mlflow = mlflow;
        this.client = client;
        this.trackingUri = trackingUri;
        this.options = options;
    }

    /**
     * Connects as the options say; {@code embedIfUnset}: start the embedded Temporal server when no
     * frontend is given; {@code localMlflow}: start a local MLflow server when none is given.
     */
    static Stack open(StackOptions o, boolean embedIfUnset, boolean localMlflow) throws IOException {
        EmbeddedTemporal embedded = null;
        LocalMlflowServer mlflow = null;
        String address = o.temporal;
        if (address == null || address.isBlank()) {
            if (!embedIfUnset) {
                throw new IllegalArgumentException("no Temporal frontend: pass --temporal HOST:PORT or set ROSARIUM_TEMPORAL");
            }
            embedded = EmbeddedTemporal.start(0);
            address = embedded.address();
            System.err.println("rosarium: embedded Temporal test server at " + address
                    + " (state lives in this process)");
        }
        String uri = o.mlflow;
        try {
            if ((uri == null || uri.isBlank()) && localMlflow) {
                System.err.println("rosarium: starting a local MLflow server (first use installs it)...");
                mlflow = LocalMlflowServer.start(o.work.toAbsolutePath().resolve("mlflow"));
                uri = mlflow.uri();
            }
            return new Stack(embedded, mlflow, Temporal.connect(address, o.namespace), uri, o);
        } catch (IOException | RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    WorkflowClient client() {
        return client;
    }

    /** The sweep with this workflow id, or null when the id names another workflow (a trial). */
    SweepWorkflow sweep(String id) {
        return client.newUntypedWorkflowStub(id).describe().getWorkflowType().equals("SweepWorkflow")
                ? client.newWorkflowStub(SweepWorkflow.class, id) : null;
    }

    String trackingUri() {
        return trackingUri;
    }

    Trackers trackers() {
        if (trackers == null) {
            trackers = new Trackers(trackingUri, options.outbox.toAbsolutePath());
        }
        return trackers;
    }

    /** Starts a worker in this process polling {@code queue}. */
    void startWorker(String queue, int slots) throws IOException {
        Path data = options.data != null ? options.data : DataFiles.defaultRoot();
        TrialWorkspace ws = new TrialWorkspace(options.work.toAbsolutePath(), data.toAbsolutePath(), ModelCache.standard());
        worker = RosariumWorker.start(client, queue, slots, ws, trackers());
    }

    @Override
    public void close() throws IOException {
        if (worker != null) {
            worker.close();
        }
        if (trackers != null) {
            if (trackingUri != null && !trackers.flush(Duration.ofSeconds(60))) {
                System.err.println("rosarium: some tracking events are still in the outbox; `rosarium sync` ships them");
            }
            trackers.close();
        }
        client.getWorkflowServiceStubs().shutdown();
        if (embedded != null) {
            embedded.close();
        }
        if (mlflow != null) {
            mlflow.close();
        }
    }
}
