package dev.rosarium.activities.tracking;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Uploads files through the tracking server's artifact proxy ({@code mlflow server
 * --serve-artifacts}): {@code PUT /api/2.0/mlflow-artifacts/artifacts/<run artifact root>/<path>}.
 * MLflow's Java client can only write artifacts through a local Python install, so this is plain HTTP.
 */
final class ArtifactUploader {
    private static final String SCHEME = "mlflow-artifacts:";

    private final String trackingUri;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** {@code authorization} is the value of the Authorization header, or null. */
    ArtifactUploader(String trackingUri, String authorization) {
        this.trackingUri = trackingUri;
        this.authorization = authorization;
    }

    /**
     * Uploads a file to {@code <artifactPath>/<file name>}, or a directory's tree to
     * {@code <artifactPath>/<directory name>/...}.
     */
    void upload(String runArtifactUri, Path local, String artifactPath) throws ShippingException {
        String root = proxiedRoot(runArtifactUri);
        if (!Files.exists(local)) {
            throw ShippingException.rejected("artifact " + local + " no longer exists (artifacts are read when they ship)");
        }
        String base = artifactPath.isEmpty() ? local.getFileName().toString() : artifactPath + "/" + local.getFileName();
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(local)) {
            try (Stream<Path> walk = Files.walk(local)) {
                walk.filter(Files::isRegularFile).sorted().forEach(files::add);
            } catch (IOException ex) {
                throw ShippingException.rejected("cannot list artifact directory " + local + ": " + ex.getMessage());
            }
        } else {
            files.add(local);
        }
        for (Path f : files) {
            String rel = Files.isDirectory(local) ? base + "/" + local.relativize(f).toString().replace('\\', '/') : base;
            put(root, rel, f);
        }
    }

    private void put(String root, String relative, Path file) throws ShippingException {
        StringBuilder url = new StringBuilder(trackingUri).append("/api/2.0/mlflow-artifacts/artifacts");
        for (String seg : (root + "/" + relative).split("/")) {
            if (!seg.isEmpty()) {
                url.append('/').append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
            }
        }
        HttpRequest.Builder req;
        try {
            req = HttpRequest.newBuilder(URI.create(url.toString()))
                    .timeout(Duration.ofMinutes(30))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofFile(file));
        } catch (IOException ex) {
            throw ShippingException.rejected("cannot read artifact " + file + ": " + ex.getMessage());
        }
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw ShippingException.unreachable("uploading " + file + " to " + url + ": " + ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw ShippingException.unreachable("interrupted while uploading " + file);
        }
        int code = resp.statusCode();
        if (code / 100 != 2) {
            String msg = "artifact upload of " + file + " to " + url + " answered " + code + ": " + resp.body();
            throw ShippingException.transientStatus(code) ? ShippingException.unreachable(msg) : ShippingException.rejected(msg);
        }
    }

    /** The run's artifact root below the proxy, from {@code mlflow-artifacts:/1/<run>/artifacts}. */
    private static String proxiedRoot(String runArtifactUri) throws ShippingException {
        if (!runArtifactUri.startsWith(SCHEME)) {
            throw ShippingException.rejected("the run's artifact location " + runArtifactUri
                    + " is not served by the tracking server; start it with --serve-artifacts so artifacts can be uploaded over HTTP");
        }
        String rest = runArtifactUri.substring(SCHEME.length());
        if (rest.startsWith("//")) {
            // mlflow-artifacts://host:port/path names the proxy explicitly; we upload through the tracking URI.
            int slash = rest.indexOf('/', 2);
            rest = slash < 0 ? "" : rest.substring(slash);
        }
        return rest;
    }
}
