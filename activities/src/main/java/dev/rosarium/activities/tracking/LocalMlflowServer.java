package dev.rosarium.activities.tracking;

import dev.rosarium.core.io.AtomicFiles;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A local MLflow tracking server run as a child process: SQLite store {@code <state>/mlflow.db},
 * artifacts served over HTTP from {@code <state>/artifacts}, bound to 127.0.0.1 on the port it used
 * last time (recorded in {@code <state>/port}) when that is free, else on a free one. Its output goes
 * to {@code <state>/server.log}. Closing it stops the server and its worker processes.
 */
public final class LocalMlflowServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    private final Process process;
    private final String uri;
    private final FileChannel lockChannel;
    private final Path stateDir;

    private LocalMlflowServer(Process process, String uri, FileChannel lockChannel, Path stateDir) {
        this.process = process;
        this.uri = uri;
        this.lockChannel = lockChannel;
        this.stateDir = stateDir;
    }

    /** Starts a server on {@code stateDir} with the default MLflow venv (installed on first use). */
    public static LocalMlflowServer start(Path stateDir) throws IOException {
        return start(stateDir, MlflowInstall.defaultVenv());
    }

    public static LocalMlflowServer start(Path stateDir, Path venv) throws IOException {
        Path mlflow = MlflowInstall.ensure(venv);
        Path state = stateDir.toAbsolutePath().normalize();
        Files.createDirectories(state.resolve("artifacts"));
        FileChannel lockChannel = FileChannel.open(state.resolve("server.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException held) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("an MLflow server for " + state + " is already running (" + state.resolve("server.lock") + " is locked)");
        }
        try {
            int port = pickPort(state.resolve("port"));
            Path log = state.resolve("server.log");
            ProcessBuilder pb = new ProcessBuilder(List.of(mlflow.toString(), "server",
                    "--backend-store-uri", "sqlite:///" + state.resolve("mlflow.db"),
                    "--serve-artifacts", "--artifacts-destination", state.resolve("artifacts").toString(),
                    "--host", "127.0.0.1", "--port", Integer.toString(port), "--workers", "1"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            // The GenAI job runner (a pool of consumer processes) is not used by tracking; it would
            // cost about a gigabyte and most of the start-up time.
            pb.environment().put("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false");
            Process p = pb.start();
            String uri = "http://127.0.0.1:" + port;
            LocalMlflowServer server = new LocalMlflowServer(p, uri, lockChannel, state);
            try {
                server.awaitHealthy(log);
            } catch (IOException | RuntimeException ex) {
                server.close();
                throw ex;
            }
            AtomicFiles.write(state.resolve("port"), Integer.toString(port).getBytes(StandardCharsets.UTF_8));
            return server;
        } catch (IOException | RuntimeException ex) {
            if (lockChannel.isOpen()) {
                lockChannel.close();
            }
            throw ex;
        }
    }

    public String uri() {
        return uri;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** The server's process (its workers are its descendants). */
    public ProcessHandle process() {
        return process.toHandle();
    }

    private void awaitHealthy(Path log) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create(uri + "/health")).timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the MLflow server exited with code " + process.exitValue() + " before it was ready; last lines of "
                        + log + ":\n" + MlflowInstall.tail(log));
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Still starting.
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the MLflow server", ex);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the MLflow server", ex);
            }
        }
        throw new IOException("the MLflow server at " + uri + " did not answer /health within " + START_TIMEOUT.toSeconds()
                + " s; last lines of " + log + ":\n" + MlflowInstall.tail(log));
    }

    private static int pickPort(Path portFile) throws IOException {
        if (Files.exists(portFile)) {
            try {
                int last = Integer.parseInt(Files.readString(portFile, StandardCharsets.UTF_8).trim());
                try (ServerSocket s = new ServerSocket(last, 1, InetAddress.getLoopbackAddress())) {
                    return s.getLocalPort();
                } catch (IOException taken) {
                    // Fall through to a free port.
                }
            } catch (NumberFormatException ignored) {
                // A damaged port file only loses the preference.
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the server (TERM, then KILL after 15 s) and releases the state directory. */
    @Override
    public void close() throws IOException {
        try {
            List<ProcessHandle> tree = process.descendants().toList();
            tree.forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                for (ProcessHandle h : tree) {
                    h.onExit().get(15, TimeUnit.SECONDS);
                }
            } catch (Exception slow) {
                tree.forEach(ProcessHandle::destroyForcibly);
            }
        } finally {
            lockChannel.close();
        }
    }
}
