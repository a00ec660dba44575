package dev.rosarium.core.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Model repositories of a Hugging Face hub, kept in the hub's own cache layout so other tools share
 * it: {@code models--org--name/blobs/<etag>}, {@code snapshots/<commit>/<file>} (links to blobs) and
 * {@code refs/<revision>} (the commit). A cached snapshot is used without the network; otherwise
 * the files a model needs are downloaded, resuming partial blobs with HTTP ranges, checking LFS
 * files against their SHA-256 etag, and authenticating with {@code HF_TOKEN} when set.
 */
public final class HfHub {
    private static final List<String> REQUIRED = List.of("config.json");
    private static final List<String> OPTIONAL = List.of("tokenizer.json", "tokenizer_config.json",
            "generation_config.json", "special_tokens_map.json");

    private final Path cacheRoot;
    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    public HfHub(Path cacheRoot, URI endpoint, String token) {
        this.cacheRoot = cacheRoot;
        this.endpoint = endpoint;
        this.token = token;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** The standard locations: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub; HF_ENDPOINT; HF_TOKEN. */
    public static HfHub standard() {
        String cache = System.getenv("HF_HUB_CACHE");
        String home = System.getenv("HF_HOME");
        Path root = cache != null ? Path.of(cache) : home != null ? Path.of(home, "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        String ep = System.getenv("HF_ENDPOINT");
        return new HfHub(root, URI.create(ep != null ? ep : "https://huggingface.co"), System.getenv("HF_TOKEN"));
    }

    Path repoDir(String repo) {
        return cacheRoot.resolve("models--" + repo.replace("/", "--"));
    }

    /** The cached snapshot of {@code repo} at {@code revision}, if complete enough to load. */
    public Path cached(String repo, String revision) throws IOException {
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        String commit = Files.isRegularFile(ref) ? Files.readString(ref).trim() : revision;
        Path snap = repoDir(repo).resolve("snapshots").resolve(commit);
        return Files.isRegularFile(snap.resolve("config.json")) && hasWeights(snap) ? snap : null;
    }

    private static boolean hasWeights(Path snap) {
        return Files.exists(snap.resolve("model.safetensors")) || Files.exists(snap.resolve("model.safetensors.index.json"));
    }

    /** A local directory with the model's config, tokenizer and safetensors weights. */
    public Path resolve(String repo, String revision) throws IOException {
        Path hit = cached(repo, revision);
        if (hit != null) {
            return hit;
        }
        try {
            String commit = download(repo, revision, "config.json", true);
            for (String f : OPTIONAL) {
                download(repo, commit, f, false);
            }
            Path snap = repoDir(repo).resolve("snapshots").resolve(commit);
            if (download(repo, commit, "model.safetensors.index.json", false) != null) {
                JsonObject index = JsonParser.parseString(Files.readString(snap.resolve("model.safetensors.index.json")))
                        .getAsJsonObject();
                Set<String> shards = new LinkedHashSet<>();
                for (var e : index.getAsJsonObject("weight_map").entrySet()) {
                    shards.add(e.getValue().getAsString());
                }
                for (String s : shards) {
                    download(repo, commit, s, true);
                }
            } else {
                download(repo, commit, "model.safetensors", true);
            }
            if (!revision.equals(commit)) {
                Path ref = repoDir(repo).resolve("refs").resolve(revision);
                Files.createDirectories(ref.getParent());
                Files.writeString(ref, commit);
            }
            return snap;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + repo, e);
        }
    }

    /**
     * Fetches one file into the blob store and links it from the snapshot; returns the commit, or
     * null when an optional file does not exist.
     */
    private String download(String repo, String revision, String file, boolean required)
            throws IOException, InterruptedException {
        URI url = endpoint.resolve("/" + repo + "/resolve/" + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "/" + file);
        HttpResponse<Void> head = http.send(request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() == 404 && !required) {
            return null;
        }
        if (head.statusCode() == 401 || head.statusCode() == 403) {
            throw new IOException(url + ": HTTP " + head.statusCode() + " (gated or private: set HF_TOKEN)");
        }
        if (head.statusCode() != 200) {
            throw new IOException(url + ": HTTP " + head.statusCode());
        }
        String commit = head.headers().firstValue("X-Repo-Commit").orElse(revision);
        String etag = head.headers().firstValue("X-Linked-Etag").or(() -> head.headers().firstValue("ETag"))
                .orElseThrow(() -> new IOException(url + ": no ETag header")).replace("\"", "").replace("W/", "");
        Path blobs = repoDir(repo).resolve("blobs");
        Path blob = blobs.resolve(etag);
        Files.createDirectories(blobs);
        if (!Files.isRegularFile(blob)) {
            fetchBlob(url, blob, etag);
        }
        Path link = repoDir(repo).resolve("snapshots").resolve(commit).resolve(file);
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        try {
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, link); // file systems without symlinks get a copy, as huggingface_hub does
        }
        return commit;
    }

    private void fetchBlob(URI url, Path blob, String etag) throws IOException, InterruptedException {
        Path part = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder req = request(url).GET();
        if (have > 0) {
            req.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        boolean append = r.statusCode() == 206;
        if (r.statusCode() != 200 && !append) {
            r.body().close();
            throw new IOException(url + ": HTTP " + r.statusCode());
        }
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            in.transferTo(out);
        }
        if (etag.matches("[0-9a-f]{64}")) { // LFS files carry their SHA-256 as etag
            String got = sha256(part);
            if (!got.equals(etag)) {
                Files.delete(part);
                throw new IOException(url + ": downloaded SHA-256 " + got + " does not match etag " + etag);
            }
        }
        Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE);
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30));
        if (token != null && !token.isBlank()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
