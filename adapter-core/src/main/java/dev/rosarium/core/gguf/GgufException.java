package dev.rosarium.core.gguf;

import java.io.IOException;
import java.nio.file.Path;

/** A malformed or unsupported GGUF file; the message names the file and the key or tensor. */
public final class GgufException extends IOException {
    private static final long serialVersionUID = 1L;

    public GgufException(Path file, String where, String problem) {
        super(file + (where == null ? "" : ": " + where) + ": " + problem);
    }
}
