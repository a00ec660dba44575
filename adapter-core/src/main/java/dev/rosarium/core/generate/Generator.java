package dev.rosarium.core.generate;

import dev.rosarium.core.models.llama.CausalLm;
import dev.rosarium.core.models.llama.KvCache;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Philox;
import dev.rosarium.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batched generation with a KV cache: prompts are left-padded so every sequence's next token sits
 * in the same column; each step feeds one token per sequence and stops a sequence at a stop token.
 */
public final class Generator {
    private final CausalLm lm;

    public Generator(CausalLm lm) {
        this.lm = lm;
    }

    /** Continuations of each prompt (decoded, stop token excluded). */
    public List<String> generate(List<String> prompts, GenerationConfig cfg) {
        return generate(prompts, cfg, () -> { });
    }

    /** As {@link #generate(List, GenerationConfig)}, calling {@code onStep} after every forward pass (a liveness tick). */
    public List<String> generate(List<String> prompts, GenerationConfig cfg, Runnable onStep) {
        Backend be = lm.model().weights().backend();
        int b = prompts.size();
        List<long[]> encoded = new ArrayList<>();
        int longest = 1;
        for (String p : prompts) {
            long[] ids = lm.tokenizer().encode(p);
            encoded.add(ids);
            longest = Math.max(longest, ids.length);
        }
        int pad = lm.stopIds().get(0);
        int[] ids = new int[b * longest];
        int[] valid = new int[b * longest];
        int[] positions = new int[b * longest];
        int[] nextPos = new int[b];
        Arrays.fill(ids, pad);
        for (int r = 0; r < b; r++) {
            long[] e = encoded.get(r);
            int offset = longest - e.length;
            for (int j = 0; j < e.length; j++) {
                ids[r * longest + offset + j] = (int) e[j];
                valid[r * longest + offset + j] = 1;
                positions[r * longest + offset + j] = j;
            }
            nextPos[r] = e.length;
        }
        List<List<Long>> out = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[b];
        try (KvCache cache = lm.model().newCache(b, longest + cfg.maxNewTokens())) {
            Tensor logits = lm.model().step(be.fromInts(ids, DType.I32, b, longest),
                    be.fromInts(positions, DType.I32, b, longest), valid, cache);
            for (int step = 0; step < cfg.maxNewTokens(); step++) {
                onStep.run();
                float[] l = logits.toFloats();
                logits.close();
                int vocab = l.length / b;
                int[] next = new int[b];
                int live = 0;
                for (int r = 0; r < b; r++) {
                    if (done[r]) {
                        next[r] = pad;
                        continue;
                    }
                    next[r] = pick(l, r * vocab, vocab, cfg, (long) step * b + r);
                    if (lm.stopIds().contains(next[r])) {
                        done[r] = true;
                    } else {
                        out.get(r).add((long) next[r]);
                        live++;
                    }
                }
                if (live == 0 || step == cfg.maxNewTokens() - 1) {
                    break;
                }
                int[] pos = new int[b];
                int[] ok = new int[b];
                for (int r = 0; r < b; r++) {
                    pos[r] = nextPos[r]++;
                    ok[r] = done[r] ? 0 : 1;
                }
                logits = lm.model().step(be.fromInts(next, DType.I32, b, 1), be.fromInts(pos, DType.I32, b, 1), ok,
                        cache);
            }
        }
        List<String> texts = new ArrayList<>();
        for (List<Long> toks : out) {
            texts.add(lm.tokenizer().decode(toks.stream().mapToLong(Long::longValue).toArray()));
        }
        return texts;
    }

    static int pick(float[] logits, int off, int vocab, GenerationConfig cfg, long draw) {
        if (cfg.temperature() == 0f) {
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                if (logits[off + v] > logits[off + best]) {
                    best = v;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[off + v]);
        }
        double[] p = new double[vocab];
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            p[v] = Math.exp((logits[off + v] - max) / cfg.temperature());
            sum += p[v];
        }
        Integer[] order = new Integer[vocab];
        for (int v = 0; v < vocab; v++) {
            order[v] = v;
            p[v] /= sum;
        }
        Arrays.sort(order, (x, y) -> Double.compare(p[y], p[x]));
        int keep = 0;
        double mass = 0;
        while (keep < vocab && (keep == 0 || mass < cfg.topP())) {
            mass += p[order[keep++]];
        }
        int[] r = new int[4];
        Philox.block(cfg.seed(), draw, r);
        double u = Philox.toUnit(r[0]) * mass;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
