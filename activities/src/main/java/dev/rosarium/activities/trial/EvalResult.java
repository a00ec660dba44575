package dev.rosarium.activities.trial;

import java.util.Map;

/** Held-out metrics of the merged model and the file of its predictions. */
public record EvalResult(Map<String, Double> metrics, String predictions) {
}
