package dev.rosarium.core.models;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.models.bert.BertConfig;
import dev.rosarium.core.models.bert.BertForSequenceClassification;
import dev.rosarium.core.models.bert.BertModel;
import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.optim.AdamW;
import dev.rosarium.core.optim.ParamGroup;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.train.StepContext;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiny LLaMA and BERT configurations from random init memorize a small batch (loss < 0.05). */
class TinyModelTrainingTest {
    private final Backend be = CpuBackend.get();

    static LlamaConfig tinyLlama() {
        return new LlamaConfig(40, 32, 64, 2, 4, 2, 8, 1e-5f, 10000, LlamaConfig.RopeScaling.NONE, 64, true);
    }

    static LlamaForCausalLM randomLlama(Backend be, LlamaConfig cfg, long seed) throws Exception {
        return new LlamaForCausalLM(cfg, new Weights(Weights.randomInit(LlamaForCausalLM.weightShapes(cfg), seed, 0.1f),
                be, DType.F32, n -> true));
    }

    private double train(Function<Tape, Variable> loss, java.util.List<dev.rosarium.core.optim.NamedParameter> params,
                         int steps, double lr) {
        AdamW opt = AdamW.withDefaults(java.util.List.of(new ParamGroup("all", params, lr, 0)));
        double last = Double.NaN;
        for (int s = 0; s < steps; s++) {
            try (Tape t = Tape.training(be)) {
                Variable l = loss.apply(t);
                last = l.value().item();
                t.backward(l);
            }
            opt.step(1.0);
            opt.zeroGrad();
        }
        return last;
    }

    @Test
    void tinyLlamaOverfits() throws Exception {
        LlamaConfig cfg = tinyLlama();
        LlamaForCausalLM model = randomLlama(be, cfg, 1);
        Random r = new Random(3);
        int b = 4;
        int seq = 16;
        int[] ids = new int[b * seq];
        int[] targets = new int[b * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(cfg.vocabSize());
        }
        for (int i = 0; i < ids.length; i++) {
            targets[i] = i % seq == seq - 1 ? -100 : ids[i + 1];
        }
        Tensor x = be.fromInts(ids, DType.I32, b, seq);
        Tensor y = be.fromInts(targets, DType.I32, b * seq);
        double loss = train(t -> t.crossEntropy(model.logits(t, x, null, null, null), y, -100),
                model.weights().trainable(), 150, 1e-2);
        assertTrue(loss < 0.05, "tiny LLaMA loss " + loss);
    }

    @Test
    void tinyBertOverfits() throws Exception {
        BertConfig cfg = new BertConfig(50, 32, 2, 4, 64, 32, 2, 1e-12f, "gelu", 0.1f, 0);
        Map<String, int[]> shapes = new HashMap<>(BertModel.weightShapes(cfg, ""));
        BertForSequenceClassification model = BertForSequenceClassification.create(cfg,
                new Weights(Weights.randomInit(shapes, 2, 0.05f), be, DType.F32, n -> true), "", false, 3, 2);
        Random r = new Random(4);
        int b = 8;
        int seq = 10;
        int[] ids = new int[b * seq];
        int[] mask = new int[b * seq];
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            int len = 4 + r.nextInt(seq - 4);
            for (int j = 0; j < seq; j++) {
                ids[i * seq + j] = j < len ? 1 + r.nextInt(cfg.vocabSize() - 1) : 0;
                mask[i * seq + j] = j < len ? 1 : 0;
            }
            labels[i] = r.nextInt(3);
        }
        Tensor x = be.fromInts(ids, DType.I32, b, seq);
        Tensor m = be.fromInts(mask, DType.I32, b, seq);
        Tensor y = be.fromInts(labels, DType.I32, b);
        long[] step = {0};
        double loss = train(t -> t.crossEntropy(model.logits(t, x, null, m, new StepContext(step[0]++, 0, 5)), y, -100),
                model.weights().trainable(), 150, 3e-3);
        assertTrue(loss < 0.05, "tiny BERT loss " + loss);
    }
}
