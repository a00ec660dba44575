package dev.rosarium.core.models.bert;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import dev.rosarium.core.train.StepContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A BERT-family encoder as transformers' BertModel computes it: word + absolute position + token
 * type embeddings, layer norm, then post-LN blocks (self-attention, residual, norm; GELU MLP,
 * residual, norm), and the tanh pooler over the first token. Dropout is applied to the hidden
 * states where BERT applies it; attention-probability dropout is not (the fused attention op has
 * none), a deliberate difference from transformers in training mode only.
 */
public final class BertModel {
    /** One encoder block's weights. */
    private record Block(Linear query, Linear key, Linear value, Linear attnOut, Variable ln1w, Variable ln1b,
                         Linear intermediate, Linear output, Variable ln2w, Variable ln2b) {
    }

    private final BertConfig config;
    private final Variable wordEmb;
    private final Variable posEmb;
    private final Variable typeEmb;
    private final Variable embLnW;
    private final Variable embLnB;
    private final List<Block> blocks = new ArrayList<>();
    private final Linear pooler;
    private final UnaryOp act;
    private final String weightPrefix;

    /** Loads the encoder; {@code prefix} is prepended to every weight name ("" or "bert."). */
    public BertModel(BertConfig config, Weights w, String prefix) throws IOException {
        this.config = config;
        this.weightPrefix = prefix;
        String p = prefix;
        int h = config.hiddenSize();
        int ff = config.intermediateSize();
        wordEmb = w.get(p + "embeddings.word_embeddings.weight", config.vocabSize(), h);
        posEmb = w.get(p + "embeddings.position_embeddings.weight", config.maxPositions(), h);
        typeEmb = w.get(p + "embeddings.token_type_embeddings.weight", config.typeVocabSize(), h);
        embLnW = w.get(p + "embeddings.LayerNorm.weight", h);
        embLnB = w.get(p + "embeddings.LayerNorm.bias", h);
        for (int i = 0; i < config.numLayers(); i++) {
            String l = p + "encoder.layer." + i + ".";
            blocks.add(new Block(linear(w, l + "attention.self.query", h, h), linear(w, l + "attention.self.key", h, h),
                    linear(w, l + "attention.self.value", h, h), linear(w, l + "attention.output.dense", h, h),
                    w.get(l + "attention.output.LayerNorm.weight", h), w.get(l + "attention.output.LayerNorm.bias", h),
                    linear(w, l + "intermediate.dense", ff, h), linear(w, l + "output.dense", h, ff),
                    w.get(l + "output.LayerNorm.weight", h), w.get(l + "output.LayerNorm.bias", h)));
        }
        pooler = linear(w, p + "pooler.dense", h, h);
        act = activation(config.hiddenAct());
    }

    static Linear linear(Weights w, String name, int out, int in) throws IOException {
        return new Linear(name, w.get(name + ".weight", out, in), w.get(name + ".bias", out));
    }

    /** Every weight's name and shape for a configuration (head excluded). */
    public static Map<String, int[]> weightShapes(BertConfig c, String p) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int h = c.hiddenSize();
        int ff = c.intermediateSize();
        m.put(p + "embeddings.word_embeddings.weight", new int[] {c.vocabSize(), h});
        m.put(p + "embeddings.position_embeddings.weight", new int[] {c.maxPositions(), h});
        m.put(p + "embeddings.token_type_embeddings.weight", new int[] {c.typeVocabSize(), h});
        m.put(p + "embeddings.LayerNorm.weight", new int[] {h});
        m.put(p + "embeddings.LayerNorm.bias", new int[] {h});
        for (int i = 0; i < c.numLayers(); i++) {
            String l = p + "encoder.layer." + i + ".";
            for (String lin : new String[] {"attention.self.query", "attention.self.key", "attention.self.value",
                "attention.output.dense"}) {
                m.put(l + lin + ".weight", new int[] {h, h});
                m.put(l + lin + ".bias", new int[] {h});
            }
            m.put(l + "intermediate.dense.weight", new int[] {ff, h});
            m.put(l + "intermediate.dense.bias", new int[] {ff});
            m.put(l + "output.dense.weight", new int[] {h, ff});
            m.put(l + "output.dense.bias", new int[] {h});
            for (String ln : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
                m.put(l + ln + ".weight", new int[] {h});
                m.put(l + ln + ".bias", new int[] {h});
            }
        }
        m.put(p + "pooler.dense.weight", new int[] {h, h});
        m.put(p + "pooler.dense.bias", new int[] {h});
        return m;
    }

    static UnaryOp activation(String name) {
        switch (name) {
            case "gelu":
                return UnaryOp.GELU;
            case "gelu_new":
            case "gelu_pytorch_tanh":
                return UnaryOp.GELU_TANH;
            case "relu":
                return UnaryOp.RELU;
            case "silu":
            case "swish":
                return UnaryOp.SILU;
            default:
                throw new IllegalArgumentException("hidden_act '" + name + "' is not supported");
        }
    }

    public BertConfig config() {
        return config;
    }

    /**
     * Every linear layer (encoder blocks and pooler) by its module path as transformers names it
     * under {@code modulePrefix} ("bert." inside a task model), for adapters to wrap.
     */
    public Map<String, Linear> linearModules(String modulePrefix) {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (Block b : blocks) {
            for (Linear l : List.of(b.query(), b.key(), b.value(), b.attnOut(), b.intermediate(), b.output())) {
                out.put(modulePrefix + l.name().substring(weightPrefix.length()), l);
            }
        }
        out.put(modulePrefix + pooler.name().substring(weightPrefix.length()), pooler);
        return out;
    }

    /** Output of {@link #forward}: the last hidden states {@code (batch, seq, hidden)} and the pooled first token. */
    public record Output(Variable hidden, Variable pooled) {
    }

    /**
     * @param ids        I32 {@code (batch, seq)}
     * @param typeIds    I32 {@code (batch, seq)}, or null for all zeros
     * @param mask       I32 {@code (batch, seq)}, 1 for tokens and 0 for padding, or null
     * @param ctx        the training step (dropout on), or null for evaluation
     */
    public Output forward(Tape t, Tensor ids, Tensor typeIds, Tensor mask, StepContext ctx) {
        int b = ids.dim(0);
        int seq = ids.dim(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + seq + " tokens exceeds max_position_embeddings "
                    + config.maxPositions());
        }
        int[] pos = new int[b * seq];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % seq;
        }
        Tensor positions = t.backend().fromInts(pos, DType.I32, b, seq);
        Tensor types = typeIds != null ? typeIds : t.backend().zeros(DType.I32, b, seq);
        Variable x = t.add(t.add(t.embedding(wordEmb, ids), t.embedding(posEmb, positions)), t.embedding(typeEmb, types));
        x = dropout(t, t.layerNorm(x, embLnW, embLnB, config.layerNormEps()), ctx, 0);
        int heads = config.numHeads();
        int hd = config.headDim();
        float scale = (float) (1 / Math.sqrt(hd));
        for (int i = 0; i < blocks.size(); i++) {
            Block blk = blocks.get(i);
            Variable q = t.reshape(blk.query().forward(t, x, ctx), b, seq, heads, hd);
            Variable k = t.reshape(blk.key().forward(t, x, ctx), b, seq, heads, hd);
            Variable v = t.reshape(blk.value().forward(t, x, ctx), b, seq, heads, hd);
            Variable a = t.reshape(t.attention(q, k, v, mask, false, scale), b, seq, config.hiddenSize());
            a = dropout(t, blk.attnOut().forward(t, a, ctx), ctx, 1 + 2 * i);
            x = t.layerNorm(t.add(a, x), blk.ln1w(), blk.ln1b(), config.layerNormEps());
            Variable h = t.unary(act, blk.intermediate().forward(t, x, ctx));
            h = dropout(t, blk.output().forward(t, h, ctx), ctx, 2 + 2 * i);
            x = t.layerNorm(t.add(h, x), blk.ln2w(), blk.ln2b(), config.layerNormEps());
        }
        int[] first = new int[b];
        for (int i = 0; i < b; i++) {
            first[i] = i * seq;
        }
        Variable cls = t.embedding(t.reshape(x, b * seq, config.hiddenSize()),
                t.backend().fromInts(first, DType.I32, b));
        Variable pooled = t.unary(UnaryOp.TANH, pooler.forward(t, cls, ctx));
        return new Output(x, pooled);
    }

    private Variable dropout(Tape t, Variable x, StepContext ctx, int site) {
        return ctx == null ? x : t.dropout(x, config.hiddenDropout(), ctx.randomSeed(site), 0);
    }
}
