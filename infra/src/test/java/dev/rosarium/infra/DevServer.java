package dev.rosarium.infra;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Temporal dev server ({@code temporal server start-dev}) of a test's own, keeping its state in a
 * SQLite file so that it can be killed and started again on the same state. Uses the temporal CLI
 * that tools/temporal-server builds into ~/.cache/rosarium/bin.
 */
final class DevServer implements AutoCloseable {
    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;

    private DevServer(Path binary, Path dir, int port) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
    }

    static DevServer start(Path dir) throws Exception {
        Path binary = Path.of(System.getProperty("user.home"), ".cache", "rosarium", "bin", "temporal");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: the server-restart test needs the temporal CLI, which "
                    + "tools/temporal-server builds with Go (run the tests through tools/run-tests)");
        }
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        DevServer server = new DevServer(binary, dir, port);
        server.launch();
        return server;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** SIGKILL: the server gets no chance to flush anything beyond what SQLite already holds. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Starts the server again on the same port and SQLite file. */
    void restart() throws Exception {
        launch();
    }

    private void launch() throws Exception {
        process = new ProcessBuilder(List.of(binary.toString(), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                "--port", Integer.toString(port), "--db-filename", dir.resolve("temporal.db").toString(),
                "--log-level", "warn"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
                .start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the Temporal dev server exited; see " + dir.resolve("server.log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IOException("the Temporal dev server did not open port " + port + " in 120 s");
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor();
        }
    }
}
