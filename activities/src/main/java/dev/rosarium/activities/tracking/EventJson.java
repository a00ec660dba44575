package dev.rosarium.activities.tracking;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outbox line format of a {@link TrackingEvent}: one JSON object per line with a {@code type}
 * and the version {@code v}. Metric values that JSON cannot hold (NaN, infinities) are written as
 * the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
 */
final class EventJson {
    static final int VERSION = 1;

    private EventJson() {
    }

    static String encode(TrackingEvent e) {
        JsonObject o = new JsonObject();
        o.addProperty("v", VERSION);
        o.addProperty("type", typeOf(e));
        o.addProperty("exp", e.experiment());
        o.addProperty("run", e.runKey());
        o.addProperty("time", e.time());
        if (e instanceof TrackingEvent.StartRun s) {
            o.addProperty("name", s.runName());
            if (s.parentRunKey() != null) {
                o.addProperty("parent", s.parentRunKey());
            }
            o.add("tags", strings(s.tags()));
        } else if (e instanceof TrackingEvent.LogParams p) {
            o.add("params", strings(p.params()));
        } else if (e instanceof TrackingEvent.LogMetrics m) {
            o.addProperty("step", m.step());
            JsonObject values = new JsonObject();
            m.metrics().forEach((k, v) -> values.add(k, Double.isFinite(v) ? new JsonPrimitive(v) : new JsonPrimitive(v.toString())));
            o.add("metrics", values);
        } else if (e instanceof TrackingEvent.SetTags t) {
            o.add("tags", strings(t.tags()));
        } else if (e instanceof TrackingEvent.LogArtifact a) {
            o.addProperty("path", a.localPath());
            o.addProperty("artifact_path", a.artifactPath());
        } else if (e instanceof TrackingEvent.EndRun end) {
            o.addProperty("status", end.status().name());
        }
        return o.toString();
    }

    /** Parses one line; a malformed line is an {@link IllegalArgumentException} that names the field. */
    static TrackingEvent decode(String line) {
        JsonObject o;
        try {
            o = JsonParser.parseString(line).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException ex) {
            throw new IllegalArgumentException("not a JSON object: " + ex.getMessage(), ex);
        }
        int v = (int) number(o, "v");
        if (v != VERSION) {
            throw new IllegalArgumentException("field 'v': expected " + VERSION + ", got " + v);
        }
        String exp = string(o, "exp");
        String run = string(o, "run");
        long time = (long) number(o, "time");
        String type = string(o, "type");
        return switch (type) {
            case "start_run" -> new TrackingEvent.StartRun(exp, run, time, string(o, "name"),
                    o.has("parent") ? string(o, "parent") : null, stringMap(o, "tags"));
            case "params" -> new TrackingEvent.LogParams(exp, run, time, stringMap(o, "params"));
            case "metrics" -> new TrackingEvent.LogMetrics(exp, run, time, (long) number(o, "step"), metricMap(o));
            case "tags" -> new TrackingEvent.SetTags(exp, run, time, stringMap(o, "tags"));
            case "artifact" -> new TrackingEvent.LogArtifact(exp, run, time, string(o, "path"), string(o, "artifact_path"));
            case "end_run" -> {
                String status = string(o, "status");
                try {
                    yield new TrackingEvent.EndRun(exp, run, time, RunStatus.valueOf(status));
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException("field 'status': expected one of RUNNING, FINISHED, FAILED, KILLED, got '" + status + "'");
                }
            }
            default -> throw new IllegalArgumentException("field 'type': unknown event type '" + type + "'");
        };
    }

    private static String typeOf(TrackingEvent e) {
        if (e instanceof TrackingEvent.StartRun) {
            return "start_run";
        } else if (e instanceof TrackingEvent.LogParams) {
            return "params";
        } else if (e instanceof TrackingEvent.LogMetrics) {
            return "metrics";
        } else if (e instanceof TrackingEvent.SetTags) {
            return "tags";
        } else if (e instanceof TrackingEvent.LogArtifact) {
            return "artifact";
        }
        return "end_run";
    }

    private static JsonObject strings(Map<String, String> map) {
        JsonObject o = new JsonObject();
        map.forEach(o::addProperty);
        return o;
    }

    private static JsonElement field(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("field '" + name + "' is missing");
        }
        return e;
    }

    private static String string(JsonObject o, String name) {
        JsonElement e = field(o, name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("field '" + name + "': expected a string, got " + e);
        }
        return e.getAsString();
    }

    private static double number(JsonObject o, String name) {
        JsonElement e = field(o, name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("field '" + name + "': expected a number, got " + e);
        }
        return e.getAsDouble();
    }

    private static Map<String, String> stringMap(JsonObject o, String name) {
        JsonElement e = field(o, name);
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("field '" + name + "': expected an object, got " + e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> en : e.getAsJsonObject().entrySet()) {
            out.put(en.getKey(), string(e.getAsJsonObject(), en.getKey()));
        }
        return out;
    }

    private static Map<String, Double> metricMap(JsonObject o) {
        JsonObject m = field(o, "metrics").getAsJsonObject();
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> en : m.entrySet()) {
            JsonPrimitive p = en.getValue().isJsonPrimitive() ? en.getValue().getAsJsonPrimitive() : null;
            if (p != null && p.isNumber()) {
                out.put(en.getKey(), p.getAsDouble());
            } else if (p != null && p.isString() && (p.getAsString().equals("NaN") || p.getAsString().endsWith("Infinity"))) {
                out.put(en.getKey(), Double.valueOf(p.getAsString()));
            } else {
                throw new IllegalArgumentException("field 'metrics." + en.getKey() + "': expected a number, got " + en.getValue());
            }
        }
        return out;
    }
}
