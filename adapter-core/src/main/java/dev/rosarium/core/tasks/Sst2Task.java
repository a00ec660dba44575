package dev.rosarium.core.tasks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** GLUE SST-2: binary sentiment of a sentence; scored by accuracy on the dev split. */
public final class Sst2Task implements Task.Classification {
    @Override
    public String name() {
        return "sst2";
    }

    @Override
    public int numLabels() {
        return 2;
    }

    @Override
    public Path file(Path dataRoot, Split split) {
        return dataRoot.resolve("sst2").resolve(split == Split.TRAIN ? "train.tsv" : "dev.tsv");
    }

    @Override
    public List<ClassificationExample> read(Path dataRoot, Split split) throws IOException {
        Path file = file(dataRoot, split);
        List<ClassificationExample> out = new ArrayList<>();
        for (DataFiles.Row<String[]> r : DataFiles.tsv(file, "sentence", "label")) {
            out.add(new ClassificationExample(r.value()[0].trim(), null,
                    DataFiles.label(file, r.line(), r.value()[1], "label", 2)));
        }
        return out;
    }

    @Override
    public Map<String, Double> score(int[] predicted, int[] labels) {
        return Map.of("accuracy", Metrics.accuracy(predicted, labels));
    }
}
