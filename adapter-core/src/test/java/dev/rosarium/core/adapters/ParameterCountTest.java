package dev.rosarium.core.adapters;

import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The RoSA paper's #Params column for LLaMA-2-7B, reproduced from the model's shapes (3 digits). */
class ParameterCountTest {
    @Test
    void reproducesThePaperBudgets() {
        LlamaConfig llama2 = new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, 1e-5f, 10000,
                LlamaConfig.RopeScaling.NONE, 4096, false);
        Map<String, int[]> shapes = LlamaForCausalLM.weightShapes(llama2);
        List<int[]> matrices = shapes.values().stream().filter(s -> s.length == 2).collect(Collectors.toList());
        assertEquals(32 * 7 + 2, matrices.size(), "7 linears per layer plus embedding and LM head");
        assertEquals(41.1, ParameterCount.paperConvention(matrices, 16, 0) / 1e6, 0.05, "LoRA r=16");
        assertEquals(41.0, ParameterCount.paperConvention(matrices, 12, 0.0015) / 1e6, 0.05, "RoSA r=12 d=0.15%");
        assertEquals(81.6, ParameterCount.paperConvention(matrices, 16, 0.006) / 1e6, 0.05, "RoSA r=16 d=0.6%");
        assertEquals(40.4, ParameterCount.paperConvention(matrices, 0, 0.006) / 1e6, 0.05, "SpA d=0.6%");
        assertEquals(164.5, ParameterCount.paperConvention(matrices, 64, 0) / 1e6, 0.05, "LoRA r=64");
    }
}
