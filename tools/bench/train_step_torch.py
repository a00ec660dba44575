#!/usr/bin/env python3
"""PyTorch + transformers CPU peer of dev.rosarium.bench.TrainStepBench: same models, same token ids,
full fine-tuning step (forward, backward, AdamW), median of 5 timed steps after 2 warm-up steps.

    python tools/bench/train_step_torch.py MINILM_DIR SMOLLM2_GGUF THREADS [minilm|smollm2|all]
"""
import json
import os
import statistics
import sys
import time

import torch
from transformers import AutoModelForCausalLM, BertForSequenceClassification


def ids(n, vocab):
    return torch.tensor([(i * 7919 + 13) % vocab for i in range(n)], dtype=torch.long)


def bench(name, model, batch, seq, make_loss):
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, weight_decay=0.0)
    times, loss_v = [], 0.0
    for _ in range(7):
        t0 = time.perf_counter()
        loss = make_loss()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
        loss_v = loss.item()
    med = statistics.median(times[2:])
    print(json.dumps({"impl": "torch", "model": name, "batch": batch, "seq": seq, "step_seconds": round(med, 4),
                      "tokens_per_s": round(batch * seq / med, 1), "loss": round(loss_v, 4),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


def main(minilm_dir, gguf, threads, which):
    torch.set_num_threads(threads)
    if which in ("all", "minilm"):
        m = BertForSequenceClassification.from_pretrained(minilm_dir, num_labels=2, attn_implementation="sdpa").train()
        m.config.hidden_dropout_prob = 0.0
        for mod in m.modules():
            if isinstance(mod, torch.nn.Dropout):
                mod.p = 0.0  # Rosarium's bench step runs without dropout too
        b, s = 32, 64
        x = ids(b * s, 30522).view(b, s)
        y = ids(b, 2)
        bench("minilm", m, b, s, lambda: m(input_ids=x, labels=y).loss)
    if which in ("all", "smollm2"):
        d, f = os.path.split(os.path.abspath(gguf))
        m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32,
                                                 attn_implementation="sdpa").train()
        b, s = 4, 256
        vocab = m.config.vocab_size
        x = ids(b * s, vocab).view(b, s)
        bench("smollm2", m, b, s, lambda: m(input_ids=x, labels=x).loss)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "all")
