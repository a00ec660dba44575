package dev.rosarium.activities.tracking;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads what a server holds straight from MLflow's REST API, independent of the code under test. */
final class MlflowRest {
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    MlflowRest(String base) {
        this.base = base;
    }

    JsonObject get(String path, Map<String, String> query) {
        StringBuilder url = new StringBuilder(base).append("/api/2.0/").append(path);
        char sep = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            url.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return send(HttpRequest.newBuilder(URI.create(url.toString())).GET());
    }

    JsonObject post(String path, JsonObject body) {
        return send(HttpRequest.newBuilder(URI.create(base + "/api/2.0/" + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private JsonObject send(HttpRequest.Builder req) {
        try {
            HttpResponse<String> r = http.send(req.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("MLflow answered " + r.statusCode() + ": " + r.body());
            }
            return JsonParser.parseString(r.body()).getAsJsonObject();
        } catch (IOException | InterruptedException ex) {
            throw new AssertionError("MLflow request failed", ex);
        }
    }

    String experimentId(String name) {
        return get("mlflow/experiments/get-by-name", Map.of("experiment_name", name))
                .getAsJsonObject("experiment").get("experiment_id").getAsString();
    }

    /** Active runs of an experiment, optionally filtered. */
    List<JsonObject> runs(String experimentId, String filter) {
        JsonObject body = new JsonObject();
        JsonArray ids = new JsonArray();
        ids.add(experimentId);
        body.add("experiment_ids", ids);
        body.addProperty("max_results", 1000);
        if (filter != null) {
            body.addProperty("filter", filter);
        }
        JsonObject r = post("mlflow/runs/search", body);
        List<JsonObject> out = new ArrayList<>();
        if (r.has("runs")) {
            r.getAsJsonArray("runs").forEach(e -> out.add(e.getAsJsonObject()));
        }
        return out;
    }

    JsonObject run(String runId) {
        return get("mlflow/runs/get", Map.of("run_id", runId)).getAsJsonObject("run");
    }

    /** step -> value of a metric's whole history; fails on a step that occurs twice. */
    List<JsonObject> history(String runId, String key) {
        JsonObject r = get("mlflow/metrics/get-history", Map.of("run_id", runId, "metric_key", key));
        List<JsonObject> out = new ArrayList<>();
        if (r.has("metrics")) {
            r.getAsJsonArray("metrics").forEach(e -> out.add(e.getAsJsonObject()));
        }
        return out;
    }

    /** path -> size (-1 for directories) of one artifact directory level. */
    Map<String, Long> artifacts(String runId, String path) {
        JsonObject r = get("mlflow/artifacts/list", path.isEmpty() ? Map.of("run_id", runId) : Map.of("run_id", runId, "path", path));
        Map<String, Long> out = new HashMap<>();
        if (r.has("files")) {
            for (JsonElement e : r.getAsJsonArray("files")) {
                JsonObject f = e.getAsJsonObject();
                out.put(f.get("path").getAsString(), f.get("is_dir").getAsBoolean() ? -1L : f.get("file_size").getAsLong());
            }
        }
        return out;
    }

    static Map<String, String> tags(JsonObject run) {
        return pairs(run.getAsJsonObject("data"), "tags");
    }

    static Map<String, String> params(JsonObject run) {
        return pairs(run.getAsJsonObject("data"), "params");
    }

    private static Map<String, String> pairs(JsonObject data, String field) {
        Map<String, String> out = new HashMap<>();
        if (data.has(field)) {
            data.getAsJsonArray(field).forEach(e -> out.put(e.getAsJsonObject().get("key").getAsString(),
                    e.getAsJsonObject().get("value").getAsString()));
        }
        return out;
    }
}
