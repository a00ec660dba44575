package dev.rosarium.core.models.llama;

import dev.rosarium.core.gguf.GgufException;
import dev.rosarium.core.gguf.GgufFile;
import dev.rosarium.core.tensor.Backend;
import dev.rosarium.core.tensor.DType;
import dev.rosarium.core.tensor.Tensor;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves a GGUF LLaMA's tensors under their Hugging Face names, dequantized. llama.cpp's converter
 * permutes the rows of q_proj and k_proj from the half-split RoPE layout into ggml's interleaved
 * one; this undoes it so the weights work with the half-split rotary op (as transformers' GGUF
 * loader also does).
 */
public final class GgufLlamaWeights {
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.weight");

    private final GgufFile gguf;
    private final LlamaConfig config;

    public GgufLlamaWeights(GgufFile gguf, LlamaConfig config) {
        this.gguf = gguf;
        this.config = config;
    }

    static String ggufName(String hf) {
        switch (hf) {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
            default:
                break;
        }
        Matcher m = LAYER.matcher(hf);
        if (!m.matches()) {
            return null;
        }
        String part;
        switch (m.group(2)) {
            case "self_attn.q_proj": part = "attn_q"; break;
            case "self_attn.k_proj": part = "attn_k"; break;
            case "self_attn.v_proj": part = "attn_v"; break;
            case "self_attn.o_proj": part = "attn_output"; break;
            case "mlp.gate_proj": part = "ffn_gate"; break;
            case "mlp.up_proj": part = "ffn_up"; break;
            case "mlp.down_proj": part = "ffn_down"; break;
            case "input_layernorm": part = "attn_norm"; break;
            case "post_attention_layernorm": part = "ffn_norm"; break;
            default: return null;
        }
        return "blk." + m.group(1) + "." + part + ".weight";
    }

    public Tensor load(String hfName, Backend backend, DType dtype) throws IOException {
        String name = ggufName(hfName);
        if (name == null || !gguf.tensors().containsKey(name)) {
            throw new GgufException(gguf.file(), "tensor for " + hfName, "not found (as " + name + ")");
        }
        float[] data = gguf.readFloats(name);
        int[] shape = gguf.tensors().get(name).shape();
        if (hfName.endsWith("q_proj.weight")) {
            data = unpermute(data, shape, config.numHeads());
        } else if (hfName.endsWith("k_proj.weight")) {
            data = unpermute(data, shape, config.numKvHeads());
        }
        return backend.fromFloats(data, dtype, shape);
    }

    /** Row {@code h*d + 2i + s} of the ggml layout is row {@code h*d + s*d/2 + i} of the half-split one. */
    static float[] unpermute(float[] w, int[] shape, int heads) {
        int rows = shape[0];
        int cols = shape[1];
        int d = rows / heads;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int s = 0; s < 2; s++) {
                    int src = h * d + 2 * i + s;
                    int dst = h * d + s * (d / 2) + i;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }
}
