package dev.rosarium.core.models.llama;

import dev.rosarium.core.autograd.Tape;
import dev.rosarium.core.autograd.Variable;
import dev.rosarium.core.models.ModelExport;
import dev.rosarium.core.models.Weights;
import dev.rosarium.core.nn.Linear;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;
import dev.rosarium.core.tensor.UnaryOp;
import dev.rosarium.core.train.StepContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LLaMA-family decoder with its LM head, as transformers' LlamaForCausalLM: token embedding,
 * pre-norm blocks (RMS norm, grouped-query causal attention with half-split RoPE, residual; RMS
 * norm, SwiGLU MLP, residual), final RMS norm, LM head (tied to the embedding when configured).
 */
public final class LlamaForCausalLM {
    /** One decoder block's weights. */
    private record Block(Linear q, Linear k, Linear v, Linear o, Linear gate, Linear up, Linear down,
                         Variable inputNorm, Variable postNorm) {
    }

    /** Rotary tables are built once for at most this many positions. */
    private static final int MAX_TABLE = 16_384;

    private final LlamaConfig config;
    private final Weights weights;
    private final Variable embed;
    private final List<Block> blocks = new ArrayList<>();
    private final Variable norm;
    private final Variable lmHead;
    private final Tensor cos;
    private final Tensor sin;
    private boolean checkpointing;

    public LlamaForCausalLM(LlamaConfig config, Weights w) throws IOException {
        this.config = config;
        this.weights = w;
        Map<String, int[]> shapes = weightShapes(config);
        embed = w.get("model.embed_tokens.weight", shapes.get("model.embed_tokens.weight"));
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            blocks.add(new Block(lin(w, shapes, p + "self_attn.q_proj"), lin(w, shapes, p + "self_attn.k_proj"),
                    lin(w, shapes, p + "self_attn.v_proj"), lin(w, shapes, p + "self_attn.o_proj"),
                    lin(w, shapes, p + "mlp.gate_proj"), lin(w, shapes, p + "mlp.up_proj"),
                    lin(w, shapes, p + "mlp.down_proj"),
                    w.get(p + "input_layernorm.weight", shapes.get(p + "input_layernorm.weight")),
                    w.get(p + "post_attention_layernorm.weight", shapes.get(p + "post_attention_layernorm.weight"))));
        }
        norm = w.get("model.norm.weight", config.hiddenSize());
        lmHead = config.tieWordEmbeddings() ? embed : w.get("lm_head.weight", shapes.get("lm_head.weight"));
        float[][] tables = config.ropeTables(Math.min(config.maxPositions(), MAX_TABLE));
        int half = config.headDim() / 2;
        cos = w.backend().fromFloats(tables[0], DType.F32, tables[0].length / half, half);
        sin = w.backend().fromFloats(tables[1], DType.F32, tables[1].length / half, half);
    }

    private static Linear lin(Weights w, Map<String, int[]> shapes, String name) throws IOException {
        return new Linear(name, w.get(name + ".weight", shapes.get(name + ".weight")), null);
    }

    /** Every weight's name (Hugging Face naming) and shape for a configuration. */
    public static Map<String, int[]> weightShapes(LlamaConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int h = c.hiddenSize();
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        m.put("model.embed_tokens.weight", new int[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "self_attn.q_proj.weight", new int[] {q, h});
            m.put(p + "self_attn.k_proj.weight", new int[] {kv, h});
            m.put(p + "self_attn.v_proj.weight", new int[] {kv, h});
            m.put(p + "self_attn.o_proj.weight", new int[] {h, q});
            m.put(p + "mlp.gate_proj.weight", new int[] {c.intermediateSize(), h});
            m.put(p + "mlp.up_proj.weight", new int[] {c.intermediateSize(), h});
            m.put(p + "mlp.down_proj.weight", new int[] {h, c.intermediateSize()});
            m.put(p + "input_layernorm.weight", new int[] {h});
            m.put(p + "post_attention_layernorm.weight", new int[] {h});
        }
        m.put("model.norm.weight", new int[] {h});
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new int[] {c.vocabSize(), h});
        }
        return m;
    }

    /**
     * Activation checkpointing per decoder block: training keeps only each block's input and
     * recomputes the block in the backward pass (one more forward, far less activation memory).
     */
    public void setActivationCheckpointing(boolean on) {
        this.checkpointing = on;
    }

    public LlamaConfig config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    /** Linear layers adapters may target (q, k, v, o, gate, up, down per layer; not the LM head), by module path. */
    public Map<String, Linear> linearModules() {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (Block b : blocks) {
            for (Linear l : List.of(b.q(), b.k(), b.v(), b.o(), b.gate(), b.up(), b.down())) {
                out.put(l.name(), l);
            }
        }
        return out;
    }

    /**
     * Writes the model with its current weights as a transformers directory ({@code config.json},
     * {@code model.safetensors} under the Hugging Face names this model reads) plus
     * {@code extraFiles} (the tokenizer), atomically. A 4-bit layer must be dequantized first.
     */
    public void saveHfDirectory(Path dir, int eosTokenId, DType dtype, Map<String, Path> extraFiles) throws IOException {
        ModelExport.saveHfDirectory(dir, weights, config.toJson(eosTokenId), extraFiles, dtype);
    }

    public KvCache newCache(int batch, int capacity) {
        return new KvCache(weights.backend(), config, batch, capacity);
    }

    /**
     * Logits {@code (batch, seq, vocab)} for token ids {@code (batch, seq)}.
     *
     * @param positions I32 {@code (batch, seq)} rotary positions, or null for 0..seq-1
     * @param keyMask   I32 {@code (batch, seq)}, 0 on padding, or null
     * @param ctx       the training step (adapter dropout), or null for evaluation
     */
    public Variable logits(Tape t, Tensor ids, Tensor positions, Tensor keyMask, StepContext ctx) {
        Variable x = hidden(t, ids, positions, keyMask, null, ctx);
        return t.matmul(x, lmHead, true);
    }

    /**
     * Runs new tokens through the model, appending their keys and values to {@code cache}, and
     * returns the logits of each sequence's last new token {@code (batch, vocab)}. The first call
     * (empty cache) may pass a whole left-padded prompt; later calls pass one token per sequence.
     */
    public Tensor step(Tensor ids, Tensor positions, int[] newValid, KvCache cache) {
        int b = ids.dim(0);
        int seq = ids.dim(1);
        if (cache.length > 0 && seq != 1) {
            throw new IllegalArgumentException("after the prompt, feed one token per sequence (got " + seq + ")");
        }
        if (cache.length + seq > cache.capacity) {
            throw new IllegalArgumentException("KV cache of " + cache.capacity + " positions is full");
        }
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < seq; ti++) {
                cache.valid[bi * cache.capacity + cache.length + ti] = newValid[bi * seq + ti];
            }
        }
        try (Tape t = Tape.inference(weights.backend())) {
            Tensor mask = cache.length == 0 ? t.backend().fromInts(newValid, DType.I32, b, seq) : null;
            Variable x = hidden(t, ids, positions, mask, cache, null);
            int[] last = new int[b];
            for (int bi = 0; bi < b; bi++) {
                last[bi] = bi * seq + seq - 1;
            }
            Variable rows = t.embedding(t.reshape(x, b * seq, config.hiddenSize()),
                    t.backend().fromInts(last, DType.I32, b));
            Tensor logits = t.backend().duplicate(t.matmul(rows, lmHead, true).value());
            cache.length += seq;
            return logits;
        }
    }

    private Variable hidden(Tape t, Tensor ids, Tensor positions, Tensor keyMask, KvCache cache, StepContext ctx) {
        int b = ids.dim(0);
        int seq = ids.dim(1);
        if (positions == null) {
            int[] pos = new int[b * seq];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = i % seq;
            }
            positions = t.backend().fromInts(pos, DType.I32, b, seq);
        }
        Tensor cacheRows = cache == null ? null : t.backend().fromInts(cache.rows(seq), DType.I32, b * seq);
        Tensor cacheMask = cache == null || cache.length == 0 ? null
                : t.backend().fromInts(cache.valid, DType.I32, b, cache.capacity);
        Pass pass = new Pass(b, seq, positions, keyMask, cache, cacheRows, cacheMask, ctx);
        Variable x = t.embedding(embed, ids);
        for (int i = 0; i < blocks.size(); i++) {
            int layer = i;
            x = checkpointing && cache == null ? t.checkpoint(x, (tt, xx) -> block(tt, layer, xx, pass))
                    : block(t, i, x, pass);
        }
        return t.rmsNorm(x, norm, config.rmsNormEps(), 0f);
    }

    /** What every block of one forward pass shares. */
    private record Pass(int b, int seq, Tensor positions, Tensor keyMask, KvCache cache, Tensor cacheRows,
                        Tensor cacheMask, StepContext ctx) {
    }

    /** Decoder block {@code i}: attention and MLP, each pre-normed with a residual. */
    private Variable block(Tape t, int i, Variable x, Pass p) {
        int h = config.numHeads();
        int kv = config.numKvHeads();
        int hd = config.headDim();
        float scale = (float) (1 / Math.sqrt(hd));
        int b = p.b();
        int seq = p.seq();
        StepContext ctx = p.ctx();
        KvCache cache = p.cache();
        Block blk = blocks.get(i);
        Variable n = t.rmsNorm(x, blk.inputNorm(), config.rmsNormEps(), 0f);
        Variable q = t.rope(t.reshape(blk.q().forward(t, n, ctx), b, seq, h, hd), cos, sin, p.positions());
        Variable k = t.rope(t.reshape(blk.k().forward(t, n, ctx), b, seq, kv, hd), cos, sin, p.positions());
        Variable v = t.reshape(blk.v().forward(t, n, ctx), b, seq, kv, hd);
        if (cache != null) {
            t.backend().indexCopy(k.value().reshape(b * seq, kv * hd), p.cacheRows(),
                    cache.keys[i].reshape(b * cache.capacity, kv * hd));
            t.backend().indexCopy(v.value().reshape(b * seq, kv * hd), p.cacheRows(),
                    cache.values[i].reshape(b * cache.capacity, kv * hd));
        }
        // a prompt (or training) attends causally among its own tokens; a decoding step attends
        // to every filled cache slot
        Variable a = p.cacheMask() == null ? t.attention(q, k, v, p.keyMask(), true, scale)
                : t.attention(q, t.constant(cache.keys[i]), t.constant(cache.values[i]), p.cacheMask(), false, scale);
        x = t.add(x, blk.o().forward(t, t.reshape(a, b, seq, h * hd), ctx));
        Variable n2 = t.rmsNorm(x, blk.postNorm(), config.rmsNormEps(), 0f);
        Variable mlp = t.mul(t.unary(UnaryOp.SILU, blk.gate().forward(t, n2, ctx)), blk.up().forward(t, n2, ctx));
        return t.add(x, blk.down().forward(t, mlp, ctx));
    }
}
