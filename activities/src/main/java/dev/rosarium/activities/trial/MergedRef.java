package dev.rosarium.activities.trial;

/** The merged model directory and the adapter directory in peft's format (null when the method has none). */
public record MergedRef(String modelDirectory, String adapterDirectory) {
}
