package dev.rosarium.infra;

import com.google.gson.JsonObject;
import dev.rosarium.infra.spec.SpecFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Acceptance (a): a 4-trial sweep through the command line against real Temporal and MLflow servers. */
class SweepIntegrationTest {
    static final String SPEC = """
            name: it-sweep
            experiment: %s
            model: all-minilm-l6-v2
            task: sst2
            data: {train_rows: 16, eval_rows: 16, max_length: 32}
            method: {r: 4, mask_warmup_steps: 1}
            training: {batch_size: 4, epochs: 1, lr: 5.0e-4, checkpoint_every: 2}
            evaluation: {rungs: 2}
            sweep:
              strategy: grid
              parallelism: 2
              space:
                method.name: {choices: [lora, rosa, spa, full]}
            objective: {metric: accuracy, goal: maximize}
            resources: {task_queue: cpu, heartbeat_seconds: 30}
            """;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)   // fail, never hang CI
    void fourTrialSweepLandsInMlflowAsAParentAndFourChildren() throws Exception {
        String experiment = "it-sweep-" + System.nanoTime();
        Path spec = tmp.resolve("sweep.yaml");
        Files.writeString(spec, SPEC.formatted(experiment));
        assertEquals(4, SpecFile.load(spec).trials());
        try (Services s = Services.start(tmp)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream old = System.out;
            int code;
            try {
                System.setOut(new PrintStream(out, true));
                code = Main.commandLine().execute("sweep", spec.toString(), "--id", experiment, "--temporal", s.temporal,
                        "--mlflow", s.mlflow, "--outbox", tmp.resolve("outbox").toString(), "--work", tmp.resolve("work").toString(),
                        "--data", Services.dataRoot().toString(), "--slots", "2");
            } finally {
                System.setOut(old);
            }
            String printed = out.toString();
            assertEquals(0, code, printed);
            assertTrue(printed.contains("best by accuracy"), printed);

            MlflowRest mlflow = new MlflowRest(s.mlflow);
            String exp = mlflow.experimentId(experiment);
            List<JsonObject> parents = mlflow.runs(exp, "tags.`rosarium.kind` = 'sweep'");
            assertEquals(1, parents.size(), "one parent run");
            String parentId = parents.get(0).getAsJsonObject("info").get("run_id").getAsString();
            assertEquals("FINISHED", parents.get(0).getAsJsonObject("info").get("status").getAsString());
            List<JsonObject> children = mlflow.runs(exp, "tags.mlflow.parentRunId = '" + parentId + "'");
            assertEquals(4, children.size(), "one child run per trial");
            for (JsonObject c : children) {
                String id = c.getAsJsonObject("info").get("run_id").getAsString();
                String method = MlflowRest.param(c, "method.name");
                assertNotNull(method, "trial params are logged");
                assertEquals("FINISHED", c.getAsJsonObject("info").get("status").getAsString(), method);
                assertEquals(4, mlflow.metricHistory(id, "loss"), method + ": a loss per step");
                assertEquals(2, mlflow.metricHistory(id, "eval_accuracy"), method + ": a held-out score per rung");
                List<String> artifacts = mlflow.artifacts(id, "");
                assertTrue(artifacts.contains("config") && artifacts.contains("eval"), method + " " + artifacts);
                if (!method.equals("full")) {
                    assertTrue(artifacts.contains("adapter"), method + " " + artifacts);
                    assertTrue(mlflow.artifacts(id, "adapter").contains("adapter/adapter_model.safetensors"),
                            method + " adapter files");
                }
                if (method.equals("rosa") || method.equals("spa")) {
                    assertTrue(artifacts.contains("masks"), method + " " + artifacts);
                }
            }
        }
    }
}
