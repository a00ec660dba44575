package dev.rosarium.infra.spec;

import dev.rosarium.workflows.spec.ParameterRange;
import dev.rosarium.workflows.spec.SweepSpec;
import dev.rosarium.workflows.spec.TrialSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecFileTest {
    @Test
    void quickstartSpecReadsAsAFourTrialGrid() throws Exception {
        String yaml;
        try (InputStream in = SpecFileTest.class.getResourceAsStream("/specs/quickstart.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        SweepSpec s = SpecFile.parse(yaml, "quickstart.yaml");
        assertEquals(4, s.trials());
        assertEquals("grid", s.strategy());
        assertEquals(ParameterRange.choice("method.name", java.util.List.of("lora", "rosa", "spa", "full")),
                s.space().get(0));
        assertEquals(1.0e-3, TrialSettings.toConfig(s.base()).lr());
        assertEquals(2.0e-3, TrialSettings.toConfig(s.base()).method().loraLr());
        assertEquals(256, TrialSettings.toConfig(s.base()).trainRows());
    }

    @Test
    void rangesAndDefaults() {
        SweepSpec s = SpecFile.parse("""
                sweep:
                  strategy: tpe
                  trials: 8
                  space:
                    training.lr: {log_uniform: [1.0e-5, 1.0e-3]}
                    method.r: {int_uniform: [4, 16]}
                early_stopping: {rule: asha, eta: 2}
                """, "s.yaml");
        assertEquals(ParameterRange.Kind.LOG_UNIFORM, s.space().get(0).kind());
        assertEquals(16, s.space().get(1).high());
        assertEquals(3, s.rungs(), "early stopping defaults to three rungs");
        assertEquals("cpu", s.taskQueue());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "training: {lr: fast}|field training.lr: expected number, got 'fast'",
            "training: {learning_rate: 1}|field training.learning_rate: unknown setting",
            "method: {name: dora}|field method.name: expected one of",
            "sweep: {strategy: bayes}|field sweep.strategy: expected one of",
            "sweep: {strategy: random}|field sweep.trials: required for random search",
            "sweep: {space: {training.lr: {uniform: [1.0e-3]}}}|field sweep.space.training.lr.uniform: expected [low, high]",
            "sweep: {space: {training.lr: {log_uniform: [1.0e-3, 1.0e-5]}}, trials: 2}|field sweep.space.training.lr: range",
            "sweep: {strategy: grid, space: {training.lr: {uniform: [0.1, 0.2]}}}|field sweep.space.training.lr: grid search needs a list of choices",
            "sweep: {trials: 3, space: {method.name: {choices: [lora, rosa]}}}|field sweep.trials: the grid has 2 points",
            "objective: {goal: up}|field objective.goal: expected maximize or minimize",
            "early_stopping: {rule: hyperband}|field early_stopping.rule: expected none, median or asha",
            "resources: {gpus: 2}|field resources.gpus: unknown field",
            "data: [1, 2]|field data: expected a mapping",
            "training: {epochs: 0}|field training: batchSize and epochs must be >= 1",
            "task: mnli|field task: unknown task 'mnli'",
    })
    void badSpecsNameTheFileAndTheField(String yaml, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpecFile.parse(yaml, "bad.yaml"));
        assertTrue(e.getMessage().startsWith("bad.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aGenerativeTaskGetsACausalLmAndRoomForItsAnswers() {
        SweepSpec s = SpecFile.parse("task: gsm8k\n", "gsm.yaml");
        assertEquals("smollm2-135m-instruct-q4_1", TrialSettings.toConfig(s.base()).model());
        assertEquals(512, TrialSettings.toConfig(s.base()).maxLength());
        SweepSpec named = SpecFile.parse("task: gsm8k\nmodel: other\ndata: {max_length: 256}\n", "gsm.yaml");
        assertEquals("other", TrialSettings.toConfig(named.base()).model());
        assertEquals(256, TrialSettings.toConfig(named.base()).maxLength());
        assertEquals(64, TrialSettings.toConfig(SpecFile.parse("task: sst2\n", "s.yaml").base()).maxLength());
    }

    /** Every YAML example in docs/spec.md reads as a spec, so the documentation stays true. */
    @Test
    void theDocumentedSpecsRead() throws Exception {
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "spec.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("```yaml\n(.*?)```", java.util.regex.Pattern.DOTALL)
                .matcher(doc);
        int read = 0;
        while (m.find()) {
            SweepSpec s = SpecFile.parse(m.group(1), "docs/spec.md example " + (read + 1));
            assertTrue(TrialSettings.toConfig(s.base()).maxLength() > 0);
            read++;
        }
        assertEquals(2, read, "the reference spec and the generative sweep");
    }

    @Test
    void invalidYamlNamesTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpecFile.parse("training: {lr: [", "broken.yaml"));
        assertTrue(e.getMessage().startsWith("broken.yaml: not valid YAML"), e.getMessage());
    }
}
