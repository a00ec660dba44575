package dev.rosarium.core.adapters;

import dev.rosarium.core.Golden;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.HfModelDirectory;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.nn.LinearAdapter;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * LoRA against HF peft 0.21 on all-MiniLM-L6-v2 (tools/golden/make_lora_golden.py): from the same
 * initial A and head, 5 AdamW steps give the same losses (1e-5 absolute: both fp32, differences are
 * summation order), the same logits before and after merge (1e-4 relative to the largest), and the
 * adapter files load both ways.
 */
class LoraPeftParityTest {
    private final Backend be = CpuBackend.get();
    private static final LoraConfig CFG = new LoraConfig(4, 8, 0, TargetModules.names("query", "value"), false, false);

    @TempDir
    Path tmp;

    private record Setup(BertForSequenceClassification model, AdapterSet lora, HfModelDirectory dir) {
    }

    private Setup setup(SafetensorsReader g) throws IOException {
        HfModelDirectory dir = HfModelDirectory.open(ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2));
        BertForSequenceClassification m = BertForSequenceClassification.load(dir, 2, be, DType.F32, n -> false, 0);
        be.copy(g.load("head.classifier.weight", be), m.classifier().weight().value());
        be.copy(g.load("head.classifier.bias", be), m.classifier().bias().value());
        AdapterSet lora = AdapterSet.lora(m.linearModules(), CFG, 1);
        for (Map.Entry<String, LinearAdapter> e : lora.adapters().entrySet()) {
            Tensor init = g.load("init.base_model.model." + e.getKey() + ".lora_A.weight", be);
            be.copy(init, ((LoraAdapter) e.getValue()).a().value());
        }
        return new Setup(m, lora, dir);
    }

    private float[] logits(BertForSequenceClassification m, SafetensorsReader g) throws IOException {
        try (Tape t = Tape.inference(be)) {
            return m.logits(t, g.load("input_ids", be), null, g.load("attention_mask", be), null).value().toFloats();
        }
    }

    static void assertClose(float[] want, float[] got, String what) {
        float max = 0;
        for (float w : want) {
            max = Math.max(max, Math.abs(w));
        }
        assertArrayEquals(want, got, 1e-4f * Math.max(1f, max), what);
    }

    /**
     * Our adapter directory loaded by peft itself gives the trained logits. Needs a Python with
     * torch, transformers and peft (ROSARIUM_TORCH_PYTHON); CI has none, so there it is skipped and
     * the key/shape comparison above stands in.
     */
    private void loadsInPeftWhereTorchIsAvailable(Path ours) throws IOException {
        String python = System.getenv("ROSARIUM_TORCH_PYTHON");
        if (python == null || python.isBlank()) {
            return;
        }
        Path script = Path.of("..", "tools", "golden", "check_peft_load.py").toAbsolutePath().normalize();
        Process p = new ProcessBuilder(python, script.toString(),
                ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2).toString(), ours.toString(),
                Golden.path("lora_minilm.safetensors").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            assertEquals(0, p.waitFor(), out);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        System.out.println(out.lines().filter(l -> l.startsWith("peft loaded")).findFirst().orElse(out));
    }

    @Test
    void trainsMergesAndSavesLikePeft() throws IOException {
        try (SafetensorsReader g = SafetensorsReader.open(Golden.path("lora_minilm.safetensors"))) {
            Setup s = setup(g);
            assertEquals(12, s.lora().adapters().size(), "query and value of 6 layers");
            AdamW opt = AdamW.withDefaults(List.of(new ParamGroup("lora", s.lora().parameters(), 1e-3, 0.01)));
            float[] losses = g.readFloats("losses");
            Tensor ids = g.load("input_ids", be);
            Tensor mask = g.load("attention_mask", be);
            Tensor labels = g.load("labels", be);
            for (int step = 0; step < 5; step++) {
                try (Tape t = Tape.training(be)) {
                    Variable loss = t.crossEntropy(s.model().logits(t, ids, null, mask, null), labels, -100);
                    assertEquals(losses[step], loss.value().item(), 1e-5, "loss at step " + step);
                    t.backward(loss);
                }
                opt.step(1.0);
                opt.zeroGrad();
            }
            assertClose(g.readFloats("final_logits"), logits(s.model(), g), "logits after training");

            Path ours = tmp.resolve("ours");
            PeftLoraFormat.save(ours, s.lora(), CFG, List.of(), "all-minilm-l6-v2", null, DType.F32);
            try (SafetensorsReader a = SafetensorsReader.open(ours.resolve("adapter_model.safetensors"));
                 SafetensorsReader b = SafetensorsReader.open(Golden.path("peft_lora_minilm/adapter_model.safetensors"))) {
                assertEquals(b.names().stream().sorted().toList(), a.names().stream().sorted().toList(), "peft key names");
                for (String k : b.names()) {
                    assertArrayEquals(b.info(k).shape(), a.info(k).shape(), k);
                    assertClose(b.readFloats(k), a.readFloats(k), k);
                }
            }
            loadsInPeftWhereTorchIsAvailable(ours);
            s.lora().mergeAndUnload();
            assertClose(g.readFloats("merged_logits"), logits(s.model(), g), "logits after merge_and_unload");
            s.dir().close();

            for (Path adapter : new Path[] {Golden.path("peft_lora_minilm"), ours}) {
                LoraConfig read = PeftLoraFormat.readConfig(adapter);
                assertEquals(4, read.r());
                assertEquals(2.0, read.scaling());
                Setup fresh = setup(g);
                PeftLoraFormat.loadInto(adapter, fresh.lora());
                assertClose(g.readFloats("final_logits"), logits(fresh.model(), g), "logits with loaded " + adapter);
                fresh.dir().close();
            }
        }
    }
}
