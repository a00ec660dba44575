package dev.rosarium.core.tasks;

/** A prompt, the target the model is trained to continue it with, and the reference it is scored against. */
public record GenerationExample(String prompt, String target, String reference) {
}
