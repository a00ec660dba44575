package dev.rosarium.workflows.spec;

/** A spec value that cannot be used: names the field, what was expected and what was found. */
public final class SpecException extends IllegalArgumentException {
    private final String field;

    public SpecException(String field, String message) {
        super("field " + field + ": " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
