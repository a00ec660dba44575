package dev.rosarium.activities.prepare;

import java.nio.file.Path;

/** A prepared, validated directory {@code <outputRoot>/<contentHash>} and its manifest. */
public record PreparedData(Path directory, String contentHash, DatasetManifest manifest) {
}
