package dev.rosarium.activities.tracking;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Python environment that runs the local MLflow server: a venv with the pinned MLflow from
 * PyPI ({@code mlflow-requirements.txt} beside this class; {@code tools/setup-mlflow} installs the
 * same file). It is reused while its copy of the requirements matches, and rebuilt otherwise; a
 * venv without that copy is a broken install and is rebuilt too.
 */
public final class MlflowInstall {
    static final String STAMP = "rosarium-requirements.txt";

    private MlflowInstall() {
    }

    /** {@code $ROSARIUM_MLFLOW_VENV}, else {@code .rosarium/mlflow-venv} in the project directory ({@code -Drosarium.home}, else the working directory). */
    public static Path defaultVenv() {
        String env = System.getenv("ROSARIUM_MLFLOW_VENV");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("rosarium.home", ".")).toAbsolutePath().normalize().resolve(".rosarium/mlflow-venv");
    }

    static String requirements() {
        try (InputStream in = MlflowInstall.class.getResourceAsStream("mlflow-requirements.txt")) {
            if (in == null) {
                throw new IllegalStateException("mlflow-requirements.txt is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Makes sure the venv holds the pinned MLflow and returns its {@code mlflow} executable. */
    public static Path ensure(Path venv) throws IOException {
        Path mlflow = venv.resolve("bin/mlflow");
        String want = requirements();
        Files.createDirectories(venv.getParent());
        Path lockFile = venv.resolveSibling(venv.getFileName() + ".lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Path stamp = venv.resolve(STAMP);
            if (Files.isExecutable(mlflow) && Files.exists(stamp) && Files.readString(stamp, StandardCharsets.UTF_8).equals(want)) {
                return mlflow;
            }
            install(venv, want);
            return mlflow;
        }
    }

    private static void install(Path venv, String requirements) throws IOException {
        deleteTree(venv);
        Path log = venv.resolveSibling(venv.getFileName() + "-install.log");
        String python = System.getenv().getOrDefault("ROSARIUM_BASE_PYTHON", "python3");
        System.err.println("rosarium: installing " + requirements.lines().filter(l -> !l.startsWith("#")).findFirst().orElse("mlflow")
                + " into " + venv + " (once; a few minutes; log: " + log + ")");
        Files.deleteIfExists(log);
        run(List.of(python, "-m", "venv", venv.toString()), log, "creating the venv with " + python
                + " (Python 3.10+ with the venv module is needed; set ROSARIUM_BASE_PYTHON to use another interpreter)");
        Path pip = venv.resolve("bin/pip");
        Path req = Files.createTempFile("mlflow-requirements", ".txt");
        try {
            Files.writeString(req, requirements, StandardCharsets.UTF_8);
            run(List.of(pip.toString(), "install", "--disable-pip-version-check", "-r", req.toString()), log, "pip install of MLflow");
        } finally {
            Files.deleteIfExists(req);
        }
        // Written last: its presence says the install completed.
        Files.writeString(venv.resolve(STAMP), requirements, StandardCharsets.UTF_8);
    }

    private static void run(List<String> command, Path log, String what) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException ex) {
            throw new IOException(what + " failed to start: " + ex.getMessage(), ex);
        }
        try {
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IOException(what + " failed (exit " + rc + "); last lines of " + log + ":\n" + tail(log));
            }
        } catch (InterruptedException ex) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + " interrupted", ex);
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException ex) {
            return "(cannot read " + log + ": " + ex.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
