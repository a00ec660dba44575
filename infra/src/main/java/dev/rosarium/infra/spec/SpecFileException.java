package dev.rosarium.infra.spec;

/** A spec file that cannot be used: the file, then the field and what was expected. */
public final class SpecFileException extends IllegalArgumentException {
    public SpecFileException(String source, String message) {
        super(source + ": " + message);
    }
}
