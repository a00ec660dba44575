package dev.rosarium.core.tasks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** GLUE MRPC: is the sentence pair a paraphrase; scored by accuracy and F1 on the test split. */
public final class MrpcTask implements Task.Classification {
    @Override
    public String name() {
        return "mrpc";
    }

    @Override
    public int numLabels() {
        return 2;
    }

    @Override
    public Path file(Path dataRoot, Split split) {
        return dataRoot.resolve("mrpc").resolve(split == Split.TRAIN ? "train.tsv" : "test.tsv");
    }

    @Override
    public List<ClassificationExample> read(Path dataRoot, Split split) throws IOException {
        Path file = file(dataRoot, split);
        List<ClassificationExample> out = new ArrayList<>();
        for (DataFiles.Row<String[]> r : DataFiles.tsv(file, "Quality", "#1 ID", "#2 ID", "#1 String", "#2 String")) {
            String[] f = r.value();
            out.add(new ClassificationExample(f[3], f[4], DataFiles.label(file, r.line(), f[0], "Quality", 2)));
        }
        return out;
    }

    @Override
    public Map<String, Double> score(int[] predicted, int[] labels) {
        return Map.of("accuracy", Metrics.accuracy(predicted, labels), "f1", Metrics.binaryF1(predicted, labels));
    }
}
