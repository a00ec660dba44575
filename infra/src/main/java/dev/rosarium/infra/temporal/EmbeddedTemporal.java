package dev.rosarium.infra.temporal;

import io.temporal.testserver.TestServer;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * Temporal's Java test server inside this process on a real port (state in memory: gone when the
 * process ends), so that workers in other processes can connect to it too.
 */
public final class EmbeddedTemporal implements AutoCloseable {
    private final TestServer.PortBoundTestServer server;
    private final int port;

    private EmbeddedTemporal(TestServer.PortBoundTestServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts on {@code port}, or on a free port when it is 0. */
    public static EmbeddedTemporal start(int port) throws IOException {
        int p = port;
        if (p == 0) {
            try (ServerSocket s = new ServerSocket(0)) {
                p = s.getLocalPort();
            }
        }
        return new EmbeddedTemporal(TestServer.createPortBoundServer(p, false), p);
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.close();
    }
}
