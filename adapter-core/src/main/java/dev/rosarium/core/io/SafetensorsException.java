package dev.rosarium.core.io;

import java.io.IOException;
import java.nio.file.Path;

/** A malformed safetensors file; the message names the file and, where it applies, the tensor. */
public final class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(Path file, String tensor, String problem) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + problem);
    }
}
