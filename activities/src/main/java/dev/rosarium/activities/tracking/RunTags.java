package dev.rosarium.activities.tracking;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Tag names that sweeps and trials share, so runs can be filtered alike in MLflow. */
public final class RunTags {
    /** The caller's run key; the tracker finds a run by it. */
    public static final String RUN_KEY = "rosarium.run_key";
    /** The adapter method of a trial (lora, rosa, spa, ...). */
    public static final String METHOD = "rosarium.method";
    /** What ended a trial in words (finished, failed, pruned, cancelled); the run status is the coarse version. */
    public static final String OUTCOME = "rosarium.outcome";
    /** MLflow's own tag for the source commit (shown in its UI). */
    public static final String GIT_COMMIT = "mlflow.source.git.commit";

    private RunTags() {
    }

    /** The commit checked out in {@code dir} (by {@code git rev-parse HEAD}), empty outside a git work tree or without git. */
    public static Optional<String> gitCommit(Path dir) {
        try {
            Process p = new ProcessBuilder("git", "-C", dir.toString(), "rev-parse", "HEAD")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.matches("[0-9a-f]{40,64}")) {
                return Optional.empty();
            }
            return Optional.of(out);
        } catch (IOException ex) {
            return Optional.empty();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
