package dev.rosarium.core.tasks;

/** A text (or text pair, {@code pair} non-null) and its label. */
public record ClassificationExample(String text, String pair, int label) {
}
