"""LoRA training throughput of PyTorch + peft, the peer of Rosarium's CudaTrainBench.

Random-init LLaMA-architecture model in bf16 with SDPA attention, peft LoRA r=16 (alpha 32, no
dropout) on every linear layer of the blocks, AdamW(lr 1e-4) on the adapters, random tokens;
median step time over 8 steps after 3 warm-up steps, and torch.cuda.max_memory_allocated.
Usage: python3 lora_train_torch.py MODEL BATCH SEQ [ckpt]   (MODEL 1b or 7b; ckpt: gradient
checkpointing per decoder layer, transformers' own); prints one JSON line.
"""
import json
import statistics
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

MODELS = {
    "1b": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
               num_key_value_heads=4, max_position_embeddings=2048),
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
               num_key_value_heads=32, max_position_embeddings=4096),
}


def main():
    name, batch, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ckpt = len(sys.argv) > 4 and sys.argv[4] == "ckpt"
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=32000, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                      attn_implementation="sdpa", **MODELS[name])
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=[
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    if ckpt:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, 32000, (batch, seq), device="cuda")
    times = []
    for step in range(11):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if step >= 3:
            times.append(time.perf_counter() - t0)
    step_s = statistics.median(times)
    print(json.dumps({"impl": "peft", "model": name, "method": "lora", "checkpointing": ckpt, "batch": batch, "seq": seq,
                      "step_s": round(step_s, 4), "tokens_per_s": round(batch * seq / step_s),
                      "peak_alloc_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
                      "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 2),
                      "loss": round(loss.item(), 4), "device": torch.cuda.get_device_name()}), flush=True)


if __name__ == "__main__":
    main()
