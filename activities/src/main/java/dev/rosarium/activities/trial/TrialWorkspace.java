package dev.rosarium.activities.trial;

import dev.rosarium.core.model.ModelCache;

import java.nio.file.Path;

/**
 * Where a worker's activities read and write: {@code root} holds the content-addressed outputs
 * ({@code prepared/}, {@code masks/}, {@code trials/<hash>/} with checkpoints, the merged model, the
 * adapter and the evaluation); workers that share a trial must share {@code root}.
 */
public record TrialWorkspace(Path root, Path dataRoot, ModelCache models) {
    public Path prepared() {
        return root.resolve("prepared");
    }

    public Path masks() {
        return root.resolve("masks");
    }

    /** A trial's directory, named by its configuration and its data. */
    public Path trial(TrialConfig t, PreparedRef data) {
        return root.resolve("trials").resolve(Hashes.sha256(t.fineTune().cacheKey() + "|" + data.contentHash()));
    }
}
