package dev.rosarium.core.tasks;

import java.io.IOException;
import java.nio.file.Path;

/** A data file that does not have the format its task expects; names the file, line and field. */
public final class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public DataFormatException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
    }
}
