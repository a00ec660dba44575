package dev.rosarium.core.models;

import dev.rosarium.core.adapters.AdapterMethods;
import dev.rosarium.core.adapters.MethodSpec;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsWriter;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.NamedParameter;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.HfTokenizer;
import dev.rosarium.core.tokenize.TokenizedBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A classifier trained with an adapter on MiniLM exports two ways: its peft adapter (with the new
 * head as modules_to_save) and the merged model as a transformers BertForSequenceClassification
 * directory. Both reload here with the trained logits; where a Python with torch, transformers and
 * peft is named by ROSARIUM_TORCH_PYTHON, both also load there (tools/golden/check_bert_export.py).
 */
class BertExportTest {
    private final Backend be = CpuBackend.get();
    private static final List<String> SENTENCES = List.of("a gripping, funny and moving film", "dull and far too long");

    @Test
    void adapterAndMergedModelReloadWithTheTrainedLogits(@TempDir Path tmp) throws Exception {
        Path modelDir = ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2);
        try (HfModelDirectory dir = HfModelDirectory.open(modelDir);
             HfTokenizer tok = HfTokenizer.open(dir.tokenizerFile(), 32, 0)) {
            TokenizedBatch batch = tok.encodeBatch(SENTENCES, null);
            BertForSequenceClassification model = BertForSequenceClassification.load(dir, 2, be, DType.F32,
                    n -> n.startsWith("classifier."), 3);
            MethodSpec spec = new MethodSpec("lora", 4, 8, 0.0, "query,value", 0, 0, 0, 1, "mean_squared", 0, "random",
                    0, 0, 0, false);
            AdapterMethods.Setup setup = AdapterMethods.attach(spec, model.linearModules(), 1e-2, 0, 3, 3);
            List<ParamGroup> groups = new ArrayList<>(setup.groups());
            List<NamedParameter> head = model.weights().trainable();
            groups.add(new ParamGroup("head", head, 1e-2, 0));
            AdamW opt = AdamW.withDefaults(groups);
            Tensor labels = be.fromInts(new int[]{1, 0}, DType.I32, 2);
            for (int step = 0; step < 3; step++) {
                try (Tape t = Tape.training(be)) {
                    t.backward(t.crossEntropy(logits(t, model, batch), labels, -100));
                }
                opt.step(1.0);
                opt.zeroGrad();
            }
            float[] trained = logits(model, batch);
            assertTrue(setup.saveAdapter(tmp.resolve("adapter"), head, modelDir.toString(), "SEQ_CLS", DType.F32));
            setup.adapters().mergeAndUnload();
            model.saveHfDirectory(tmp.resolve("merged"), DType.F32, Map.of("tokenizer.json", dir.tokenizerFile()));

            try (HfModelDirectory merged = HfModelDirectory.open(tmp.resolve("merged"))) {
                assertTrue(merged.has("bert.embeddings.word_embeddings.weight"), "encoder under bert.");
                BertForSequenceClassification back = BertForSequenceClassification.load(merged, 2, be, DType.F32,
                        n -> false, 0);
                assertArrayEquals(trained, logits(back, batch), 1e-5f, "merged export reloads with the trained logits");
            }
            checkInTransformersWhereAvailable(modelDir, tmp, trained);
        }
    }

    private Variable logits(Tape t, BertForSequenceClassification m, TokenizedBatch b) {
        return m.logits(t, be.fromInts(b.ids(), DType.I32, b.batch(), b.seq()),
                be.fromInts(b.typeIds(), DType.I32, b.batch(), b.seq()),
                be.fromInts(b.mask(), DType.I32, b.batch(), b.seq()), null);
    }

    private float[] logits(BertForSequenceClassification m, TokenizedBatch b) {
        try (Tape t = Tape.inference(be)) {
            return logits(t, m, b).value().toFloats();
        }
    }

    private void checkInTransformersWhereAvailable(Path base, Path tmp, float[] trained) throws Exception {
        String python = System.getenv("ROSARIUM_TORCH_PYTHON");
        if (python == null || python.isBlank()) {
            return;
        }
        Path expected = tmp.resolve("expected.safetensors");
        Files.write(expected, new SafetensorsWriter().add("logits", be.fromFloats(trained, DType.F32, 2, 2), DType.F32)
                .toBytes());
        Path script = Path.of("..", "tools", "golden", "check_bert_export.py").toAbsolutePath().normalize();
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), base.toString(),
                tmp.resolve("adapter").toString(), tmp.resolve("merged").toString(), expected.toString()));
        cmd.addAll(SENTENCES);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        out.lines().filter(l -> l.startsWith("transformers") || l.startsWith("peft")).forEach(System.out::println);
    }
}
