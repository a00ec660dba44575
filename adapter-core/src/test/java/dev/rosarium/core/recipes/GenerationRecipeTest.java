package dev.rosarium.core.recipes;

import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.tasks.DataFiles;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tokenize.TokenizedExample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationRecipeTest {
    private final Backend be = CpuBackend.get();

    @Test
    void positionsPredictTheNextTargetTokenOnly() {
        List<TokenizedExample> rows = List.of(TokenizedExample.generation(new int[] {1, 2, 3}, new int[] {4, 5}),
                TokenizedExample.generation(new int[] {7}, new int[] {8, 9, 10}));
        int x = CausalLmRun.IGNORE;
        assertArrayEquals(new int[] {x, x, 4, 5, x, 8, 9, 10, x, x}, CausalLmRun.nextTokenTargets(rows, 5));
    }

    @Test
    void rowsWhosePromptFillsMaxLengthAreRefusedByName() {
        FineTuneConfig cfg = new FineTuneConfig("m", "gsm8k", 1, 1, 1, 8, 1e-3, 0, 1, 0, 1, 1, MethodSpec.defaults("lora"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> GenerationRecipe.trainable(List.of(TokenizedExample.generation(new int[8], new int[0])), cfg));
        assertTrue(e.getMessage().contains("fills max_length 8"), e.getMessage());
    }

    /**
     * RoSA on SmolLM2-135M-Instruct over two GSM8k rows, seen four times (one LoRA step, one
     * collecting the mask's gradients, two with the sparse adapter): the loss falls, the adapter is
     * saved in peft's causal-LM layout, and the merged model saved as a transformers directory loads
     * back with the base's configuration and chat template and the fine-tuned weights.
     */
    @Test
    void rosaFineTunesACausalLmOnGsm8kAndExportsIt(@TempDir Path out) throws Exception {
        MethodSpec rosa = new MethodSpec("rosa", 8, 16, 0.0, "all-linear", 0.01, 0, 1, 1, "mean_squared", 0, "random",
                0.1, -1, -1, false, new LinkedHashMap<>());
        FineTuneConfig cfg = new FineTuneConfig(ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1.id(), "gsm8k", 2, 2, 2, 192, 2e-3,
                0.0, 4, 0.0, 1.0, 42, rosa);
        List<Double> losses = new ArrayList<>();
        FineTuneResult r = new GenerationRecipe(be, DataFiles.defaultRoot(), ModelCache.standard()).exportingTo(out)
                .run(cfg, m -> losses.add(m.loss()));
        assertEquals(4, r.steps());
        assertEquals(4, losses.size());
        assertTrue(losses.get(3) < 0.9 * losses.get(0), "loss on the same batch falls: " + losses);
        assertTrue(r.trainableParams() > 0);
        String adapterConfig = Files.readString(out.resolve("adapter/adapter_config.json"));
        assertTrue(adapterConfig.contains("CAUSAL_LM"), adapterConfig);
        try (CausalLm merged = CausalLm.load(out.resolve("merged"), be, DType.F32, n -> false, 4096);
             CausalLm base = CausalLm.load(ModelCache.standard().resolve(cfg.model()), be, DType.F32, n -> false, 4096)) {
            float[] m = logits(merged);
            float[] b = logits(base);
            double moved = 0;
            for (int i = 0; i < m.length; i++) {
                moved = Math.max(moved, Math.abs(m[i] - b[i]));
            }
            assertTrue(moved > 1e-3, "the exported model carries the fine-tuning (largest logit change " + moved + ")");
            assertEquals(base.model().config(), merged.model().config());
            assertEquals(base.chatTemplate(), merged.chatTemplate(), "the chat template the prompts were trained through");
            checkInTransformersWhereAvailable(out, m, ChatTemplate.parse(merged.chatTemplate())
                    .render(List.of(new ChatTemplate.Message("user", "Hi")), true));
        }
        assertTrue(r.after().get("accuracy") >= 0 && r.merged().get("accuracy") <= 1, r.toString());
    }

    /**
     * Where torch and transformers are named by ROSARIUM_TORCH_PYTHON, the merged directory also
     * loads there to our logits and chat template (tools/golden/check_llama_export.py); CI has none.
     */
    private void checkInTransformersWhereAvailable(Path out, float[] ours, String chat) throws Exception {
        String python = System.getenv("ROSARIUM_TORCH_PYTHON");
        if (python == null || python.isBlank()) {
            return;
        }
        Path expected = out.resolve("expected.safetensors");
        Files.write(expected, new SafetensorsWriter().metadata("chat", chat)
                .add("ids", be.fromInts(IDS, DType.I32, 1, IDS.length), DType.I32)
                .add("logits", be.fromFloats(ours, DType.F32, 1, IDS.length, ours.length / IDS.length), DType.F32)
                .toBytes());
        Path script = Path.of("..", "tools", "golden", "check_llama_export.py").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(python, script.toString(), out.resolve("merged").toString(), expected.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        log.lines().filter(l -> l.startsWith("transformers") || l.startsWith("chat")).forEach(System.out::println);
    }

    private static final int[] IDS = {1, 504, 3458, 314, 216, 1345, 30};

    private float[] logits(CausalLm lm) {
        try (Tape t = Tape.inference(be)) {
            return lm.model().logits(t, be.fromInts(IDS, DType.I32, 1, IDS.length), null, null, null).value().toFloats();
        }
    }
}
