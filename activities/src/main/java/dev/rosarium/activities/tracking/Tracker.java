package dev.rosarium.activities.tracking;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Experiment tracking for sweeps and trials, safe against tracking outages and retried activities.
 * Every call appends an event to the durable local outbox and returns; a background shipper sends
 * the events to MLflow in order and retries while the server is down; {@link #sync()} (and
 * {@code rosarium sync}) ships what is left. Runs are named by caller-chosen keys: the same key is
 * the same MLflow run in every process (see {@link RunResolver}), and a run keeps one metric point
 * per key and step (see {@link ShippedSteps}). Thread-safe.
 */
public final class Tracker implements AutoCloseable {
    /** Time for two processes that create the same run at once to see each other's run. */
    private static final Duration SETTLE = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration CLOSE_FLUSH = Duration.ofSeconds(5);

    private static final System.Logger LOG = System.getLogger(Tracker.class.getName());

    private final TrackingConfig config;
    private final Outbox outbox;
    private final MlflowShipper shipper;
    /** One shipping pass at a time (background or {@link #sync()}). */
    private final ReentrantLock shipping = new ReentrantLock();
    private final Object signal = new Object();
    private final Thread background;
    private boolean wake;
    private volatile boolean closed;
    private volatile String lastFailure;
    /** What the passes did since the last {@link #sync()} report (guarded by {@link #shipping}). */
    private MlflowShipper.Pass sinceReport = new MlflowShipper.Pass();

    private Tracker(TrackingConfig config) {
        this.config = config;
        this.outbox = Outbox.open(config.outboxDir());
        this.shipper = config.online() ? new MlflowShipper(config.trackingUri(), outbox, SETTLE) : null;
        if (shipper != null) {
            background = new Thread(this::shipLoop, "rosarium-tracking-shipper");
            background.setDaemon(true);
            background.start();
        } else {
            background = null;
        }
    }

    /** Opens the outbox and, with a tracking URI, starts the background shipper (which also ships what earlier processes left). */
    public static Tracker open(TrackingConfig cfg) {
        return new Tracker(Objects.requireNonNull(cfg, "cfg"));
    }

    public TrackingConfig config() {
        return config;
    }

    /**
     * Starts (or reopens) the run of {@code runKey}. {@code parentRunKey} makes it a child run
     * ({@code mlflow.parentRunId}); the parent need not be started first. {@code tags} may be null.
     */
    public void startRun(String runKey, String runName, String parentRunKey, Map<String, String> tags) {
        tags = tags == null ? Map.of() : tags;
        MlflowNames.checkRunKey("runKey", runKey);
        if (parentRunKey != null) {
            MlflowNames.checkRunKey("parentRunKey", parentRunKey);
        }
        if (runName == null || runName.isBlank()) {
            throw new IllegalArgumentException("runName of run " + runKey + " must be non-empty");
        }
        MlflowNames.checkStrings("tag", tags, MlflowNames.MAX_TAG_VALUE);
        append(new TrackingEvent.StartRun(config.experimentName(), runKey, now(), runName, parentRunKey, tags));
    }

    public void logParams(String runKey, Map<String, String> params) {
        MlflowNames.checkRunKey("runKey", runKey);
        MlflowNames.checkStrings("param", params, MlflowNames.MAX_PARAM_VALUE);
        append(new TrackingEvent.LogParams(config.experimentName(), runKey, now(), params));
    }

    /**
     * Logs metric values at a step. A run keeps the first point shipped for each (key, step); a
     * point logged again at the same key and step (a retried activity replaying steps) is dropped.
     */
    public void logMetrics(String runKey, Map<String, Double> metrics, long step) {
        MlflowNames.checkRunKey("runKey", runKey);
        metrics.forEach((k, v) -> {
            MlflowNames.checkKey("metric", k);
            Objects.requireNonNull(v, () -> "metric " + k + " of run " + runKey + " is null");
        });
        append(new TrackingEvent.LogMetrics(config.experimentName(), runKey, now(), step, metrics));
    }

    public void setTags(String runKey, Map<String, String> tags) {
        MlflowNames.checkRunKey("runKey", runKey);
        MlflowNames.checkStrings("tag", tags, MlflowNames.MAX_TAG_VALUE);
        append(new TrackingEvent.SetTags(config.experimentName(), runKey, now(), tags));
    }

    /**
     * Uploads a file to {@code <artifactPath>/<file name>} or a directory to
     * {@code <artifactPath>/<directory name>/...} ({@code ""} is the run's artifact root). The file is
     * read when the event ships: keep it until {@link #flush} says the outbox is empty.
     */
    public void logArtifact(String runKey, Path fileOrDir, String artifactPath) {
        MlflowNames.checkRunKey("runKey", runKey);
        Path abs = fileOrDir.toAbsolutePath().normalize();
        if (!java.nio.file.Files.exists(abs)) {
            throw new IllegalArgumentException("artifact " + abs + " of run " + runKey + " does not exist");
        }
        String dir = artifactPath == null ? "" : artifactPath.strip();
        if (!dir.isEmpty()) {
            MlflowNames.checkKey("artifact path", dir);
        }
        append(new TrackingEvent.LogArtifact(config.experimentName(), runKey, now(), abs.toString(), dir));
    }

    public void endRun(String runKey, RunStatus status) {
        MlflowNames.checkRunKey("runKey", runKey);
        append(new TrackingEvent.EndRun(config.experimentName(), runKey, now(), Objects.requireNonNull(status, "status")));
    }

    /** Waits until the outbox is empty (true) or the timeout passes (false). Without a server: true only if empty now. */
    public boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (pending() == 0) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (shipper == null || left <= 0 || closed) {
                return false;
            }
            synchronized (signal) {
                wake = true;
                signal.notifyAll();
                try {
                    signal.wait(Math.max(1, Math.min(left / 1_000_000, 200)));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /**
     * Ships everything pending now, in the caller's thread, and reports what is left; the counts
     * cover every pass (background ones included) since the previous report.
     */
    public SyncReport sync() {
        if (shipper == null) {
            return report(new MlflowShipper.Pass(), "no tracking server configured (set MLFLOW_TRACKING_URI)");
        }
        shipping.lock();
        try {
            shipOnce();
            MlflowShipper.Pass totals = sinceReport;
            sinceReport = new MlflowShipper.Pass();
            return report(totals, totals.failure);
        } finally {
            shipping.unlock();
        }
    }

    /** The MLflow run id of a key: known once its events shipped, or found on the server. */
    public Optional<String> mlflowRunId(String runKey) {
        if (shipper == null) {
            return Optional.empty();
        }
        shipping.lock();
        try {
            return shipper.runs().find(config.experimentName(), runKey);
        } catch (ShippingException ex) {
            return Optional.empty();
        } finally {
            shipping.unlock();
        }
    }

    /** Why the last shipping pass stopped early (null when it did not). */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Gives the shipper a few seconds to empty the outbox; what is left stays for the next process or {@code rosarium sync}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (shipper != null) {
            flush(CLOSE_FLUSH);
        }
        closed = true;
        if (background != null) {
            background.interrupt();
            try {
                background.join(60_000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        shipping.lock();
        try {
            outbox.close();
        } catch (IOException ex) {
            throw new UncheckedIOException("closing the tracking outbox " + outbox.directory(), ex);
        } finally {
            shipping.unlock();
            if (shipper != null) {
                shipper.close();
            }
        }
    }

    private void append(TrackingEvent e) {
        outbox.append(e);
        synchronized (signal) {
            wake = true;
            signal.notifyAll();
        }
    }

    private MlflowShipper.Pass shipOnce() {
        shipping.lock();
        try {
            MlflowShipper.Pass pass = shipper.shipAll();
            lastFailure = pass.failure;
            sinceReport.add(pass);
            return pass;
        } finally {
            shipping.unlock();
            synchronized (signal) {
                signal.notifyAll();
            }
        }
    }

    private void shipLoop() {
        long backoffMs = 0;
        while (!closed) {
            MlflowShipper.Pass pass = shipOnce();
            if (pass.failure != null) {
                backoffMs = Math.min(MAX_BACKOFF.toMillis(), Math.max(1000, backoffMs * 2));
                LOG.log(System.Logger.Level.DEBUG, "tracking server unavailable, retrying in {0} ms: {1}", backoffMs, pass.failure);
            } else {
                backoffMs = 0;
            }
            synchronized (signal) {
                long until = System.currentTimeMillis() + (backoffMs > 0 ? backoffMs : Long.MAX_VALUE / 2);
                // In backoff only the timer wakes the loop: new events must not hammer a down server.
                while (!closed && (backoffMs > 0 || !wake)) {
                    long left = until - System.currentTimeMillis();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        signal.wait(Math.min(left, 1000));
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
                wake = false;
            }
        }
    }

    private long pending() {
        try {
            return outbox.pendingEvents();
        } catch (IOException ex) {
            throw new UncheckedIOException("reading the tracking outbox " + outbox.directory(), ex);
        }
    }

    private SyncReport report(MlflowShipper.Pass pass, String failure) {
        try {
            return new SyncReport(pass.shipped, pass.rejected, pass.duplicatePoints, outbox.pendingEvents(),
                    outbox.heldElsewhere(), pass.tornTails, failure);
        } catch (IOException ex) {
            throw new UncheckedIOException("reading the tracking outbox " + outbox.directory(), ex);
        }
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
