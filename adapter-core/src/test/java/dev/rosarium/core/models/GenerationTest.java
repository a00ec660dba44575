package dev.rosarium.core.models;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.cpu.CpuBackend;
import dev.rosarium.core.generate.ChatTemplate;
import dev.rosarium.core.models.llama.KvCache;
import dev.rosarium.core.models.llama.LlamaConfig;
import dev.rosarium.core.models.llama.LlamaForCausalLM;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * KV-cache decoding equals recomputing the whole sequence: greedy tokens from the cache match
 * the argmax of a full forward over prompt + generated tokens, for a left-padded batch of prompts
 * of different lengths.
 */
class GenerationTest {
    private final Backend be = CpuBackend.get();

    @Test
    void cachedDecodingMatchesFullForward() throws Exception {
        LlamaConfig cfg = TinyModelTrainingTest.tinyLlama();
        LlamaForCausalLM model = TinyModelTrainingTest.randomLlama(be, cfg, 9);
        int[][] prompts = {{5, 9, 13, 2, 7}, {3, 30}};
        int longest = 5;
        int steps = 6;
        int b = prompts.length;
        int[] ids = new int[b * longest];
        int[] valid = new int[b * longest];
        int[] pos = new int[b * longest];
        List<List<Integer>> seqs = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            int off = longest - prompts[r].length;
            List<Integer> s = new ArrayList<>();
            for (int j = 0; j < prompts[r].length; j++) {
                ids[r * longest + off + j] = prompts[r][j];
                valid[r * longest + off + j] = 1;
                pos[r * longest + off + j] = j;
                s.add(prompts[r][j]);
            }
            seqs.add(s);
        }
        try (KvCache cache = model.newCache(b, longest + steps)) {
            Tensor logits = model.step(be.fromInts(ids, DType.I32, b, longest), be.fromInts(pos, DType.I32, b, longest),
                    valid, cache);
            for (int s = 0; s < steps; s++) {
                int[] next = argmaxRows(logits.toFloats(), b);
                int[] p = new int[b];
                for (int r = 0; r < b; r++) {
                    assertEquals(fullForwardNext(model, seqs.get(r)), next[r], "row " + r + " step " + s);
                    p[r] = seqs.get(r).size();
                    seqs.get(r).add(next[r]);
                }
                if (s < steps - 1) {
                    logits = model.step(be.fromInts(next, DType.I32, b, 1), be.fromInts(p, DType.I32, b, 1),
                            new int[] {1, 1}, cache);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> model.step(be.fromInts(new int[] {1, 2, 3, 4}, DType.I32,
                    2, 2), be.fromInts(new int[4], DType.I32, 2, 2), new int[] {1, 1, 1, 1}, cache));
        }
    }

    private int fullForwardNext(LlamaForCausalLM model, List<Integer> seq) {
        int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
        try (Tape t = Tape.inference(be)) {
            float[] l = model.logits(t, be.fromInts(ids, DType.I32, 1, ids.length), null, null, null).value().toFloats();
            int vocab = l.length / ids.length;
            float[] last = new float[vocab];
            System.arraycopy(l, (ids.length - 1) * vocab, last, 0, vocab);
            return argmaxRows(last, 1)[0];
        }
    }

    private static int[] argmaxRows(float[] l, int rows) {
        int vocab = l.length / rows;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int v = 1; v < vocab; v++) {
                if (l[r * vocab + v] > l[r * vocab + out[r]]) {
                    out[r] = v;
                }
            }
        }
        return out;
    }

    @Test
    void chatMlTemplateRendersWithDefaultSystem() {
        ChatTemplate t = ChatTemplate.parse("{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
                + "You are helpful.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
                + " + '<|im_end|>' + '\n'}}");
        assertEquals("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(List.of(new ChatTemplate.Message("user", "Hi")), true));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.parse("[INST] {{ content }} [/INST]"));
    }
}
