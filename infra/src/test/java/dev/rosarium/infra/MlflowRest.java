package dev.rosarium.infra;

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
import java.util.ArrayList;
import java.util.List;

/** What the tests read back from MLflow, over its REST API. */
final class MlflowRest {
    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    MlflowRest(String base) {
        this.base = base;
    }

    JsonObject get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    JsonObject post(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("POST " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    String experimentId(String name) throws IOException, InterruptedException {
        return get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + enc(name))
                .getAsJsonObject("experiment").get("experiment_id").getAsString();
    }

    List<JsonObject> runs(String experimentId, String filter) throws IOException, InterruptedException {
        JsonObject body = new JsonObject();
        JsonArray ids = new JsonArray();
        ids.add(experimentId);
        body.add("experiment_ids", ids);
        body.addProperty("filter", filter);
        body.addProperty("max_results", 100);
        JsonObject r = post("/api/2.0/mlflow/runs/search", body.toString());
        List<JsonObject> out = new ArrayList<>();
        if (r.has("runs")) {
            for (JsonElement e : r.getAsJsonArray("runs")) {
                out.add(e.getAsJsonObject());
            }
        }
        return out;
    }

    int metricHistory(String runId, String key) throws IOException, InterruptedException {
        JsonObject r = get("/api/2.0/mlflow/metrics/get-history?run_id=" + runId + "&metric_key=" + enc(key));
        return r.has("metrics") ? r.getAsJsonArray("metrics").size() : 0;
    }

    List<String> artifacts(String runId, String path) throws IOException, InterruptedException {
        JsonObject r = get("/api/2.0/mlflow/artifacts/list?run_id=" + runId + (path.isEmpty() ? "" : "&path=" + enc(path)));
        List<String> out = new ArrayList<>();
        if (r.has("files")) {
            for (JsonElement e : r.getAsJsonArray("files")) {
                out.add(e.getAsJsonObject().get("path").getAsString());
            }
        }
        return out;
    }

    static String param(JsonObject run, String key) {
        JsonObject data = run.getAsJsonObject("data");
        if (data.has("params")) {
            for (JsonElement e : data.getAsJsonArray("params")) {
                if (e.getAsJsonObject().get("key").getAsString().equals(key)) {
                    return e.getAsJsonObject().get("value").getAsString();
                }
            }
        }
        return null;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
