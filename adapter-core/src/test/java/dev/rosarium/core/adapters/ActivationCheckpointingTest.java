package dev.rosarium.core.adapters;

import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.train.StepMetrics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Recomputing each decoder block in the backward pass changes memory, not results: with adapter
 * dropout on, RoSA's mask statistics gathered in the backward pass, and the warm-up switching
 * masks on mid-run, training with checkpointing gives bit-identical losses and logits on the CPU.
 */
class ActivationCheckpointingTest {
    private final Backend be = CpuBackend.get();

    @ParameterizedTest
    @ValueSource(strings = {"lora", "rosa", "qrosa"})
    void checkpointedTrainingIsBitIdentical(String method) throws Exception {
        AdapterBehaviourTest.Batch b = AdapterBehaviourTest.batch(be);
        MethodSpec spec = new MethodSpec(method, 4, 8, 0.1, "all-linear", 0.05, 0, 2, 1, "mean_squared", 0, "random",
                0, 0, 0, false);
        float[][] logits = new float[2][];
        List<List<StepMetrics>> losses = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            LlamaForCausalLM m = AdapterBehaviourTest.tiny(be);
            m.setActivationCheckpointing(run == 1);
            AdapterMethods.Setup setup = AdapterMethods.attach(spec, m.linearModules(), 1e-2, 0, 7, 8);
            losses.add(AdapterBehaviourTest.train(be, m, setup, 8, b));
            logits[run] = AdapterBehaviourTest.logits(be, m, b);
        }
        for (int i = 0; i < 8; i++) {
            assertEquals(losses.get(0).get(i).loss(), losses.get(1).get(i).loss(), 0.0, method + " step " + i);
        }
        assertArrayEquals(logits[0], logits[1], 0f, method + " logits after training");
    }
}
