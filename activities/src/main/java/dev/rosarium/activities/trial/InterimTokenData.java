package dev.rosarium.activities.trial;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import dev.rosarium.core.io.AtomicFiles;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.recipes.ClassificationConfig;
import dev.rosarium.core.recipes.ClassificationRecipe;
import dev.rosarium.core.recipes.ClassifierRun;
import dev.rosarium.core.tasks.ClassificationExample;
import dev.rosarium.core.tasks.Split;
import dev.rosarium.core.tasks.Task;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tokenize.TokenizedExample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Token data until the Beam preparation lands: replaced by DataPreparation and TokenShards. */
final class InterimTokenData {
    private InterimTokenData() {
    }

    static PreparedRef prepare(Backend backend, ModelCache models, Path dataRoot, Path outRoot, ClassificationConfig c)
            throws IOException {
        String hash = Hashes.sha256(c.model() + "|" + c.task() + "|" + c.maxLength() + "|" + c.trainRows() + "|"
                + c.evalRows() + "|" + c.seed());
        Path dir = outRoot.resolve(hash);
        if (!Files.isDirectory(dir)) {
            Task.Classification task = ClassificationRecipe.classification(c.task());
            List<ClassificationExample> train = ClassificationRecipe.subset(task.read(dataRoot, Split.TRAIN),
                    c.trainRows(), c.seed());
            List<ClassificationExample> eval = task.read(dataRoot, Split.EVAL);
            if (c.evalRows() >= 0 && c.evalRows() < eval.size()) {
                eval = eval.subList(0, c.evalRows());
            }
            try (ClassifierRun run = ClassifierRun.open(backend, models.resolve(c.model()), c, task,
                    ClassifierRun.totalSteps(c, train.size()))) {
                Gson g = new Gson();
                String tr = g.toJson(run.tokenize(train));
                String ev = g.toJson(run.tokenize(eval));
                if (!Files.isDirectory(dir)) {
                    AtomicFiles.writeDirectory(dir, tmp -> {
                        Files.writeString(tmp.resolve("train.json"), tr);
                        Files.writeString(tmp.resolve("eval.json"), ev);
                    });
                }
            }
        }
        return new PreparedRef(dir.toString(), hash);
    }

    static List<TokenizedExample> split(PreparedRef data, String name) throws IOException {
        return new Gson().fromJson(Files.readString(Path.of(data.directory()).resolve(name + ".json"),
                StandardCharsets.UTF_8), new TypeToken<List<TokenizedExample>>() { }.getType());
    }
}
