package dev.rosarium.core.tasks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A data set with its prompt format and metric. */
public sealed interface Task permits Task.Classification, Task.Generation {
    String name();

    /** The one file a split is read from (its bytes are what prepared data is keyed on). */
    Path file(Path dataRoot, Split split);

    /** A task whose model picks one of {@link #numLabels()} labels. */
    non-sealed interface Classification extends Task {
        int numLabels();

        List<ClassificationExample> read(Path dataRoot, Split split) throws IOException;

        /** Metric name to value (accuracy, and F1 where the task reports it). */
        Map<String, Double> score(int[] predicted, int[] labels);
    }

    /** A task whose model generates text after a prompt. */
    non-sealed interface Generation extends Task {
        List<GenerationExample> read(Path dataRoot, Split split) throws IOException;

        /** Whether a generation counts as correct for its example. */
        boolean correct(String generated, GenerationExample example);
    }
}
