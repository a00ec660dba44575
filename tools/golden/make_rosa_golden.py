#!/usr/bin/env python3
"""Golden RoSA run on all-MiniLM-L6-v2, written from the semantics of the authors' code
(../shared/docs/methods.md §A): frozen W, LoRA (A Kaiming, B 0, s = alpha/r) plus sparse values on
a mask; torch autograd on the dense masked S gives the reference sparse gradient (the SDDMM).

    python tools/golden/make_rosa_golden.py MINILM_DIR adapter-core/src/test/resources/golden

Recipe: query and value layers, r=4, alpha=8, d=1%, schedule wl2 with spa_num_grads=1 and
grad_acc_mode mean_squared; 4 examples per step as 4 micro-batches of one (loss / 4 each);
AdamW (weight decay 0) with LoRA lr 1e-3 and sparse lr 5e-3; 5 steps. Steps 0-1 LoRA only,
step 2 collects the squared weight gradient of every micro-batch (running mean), the masks are the
top floor(d*n*m) entries after step 2, steps 3-4 train LoRA and S.
"""
import json
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import BertForSequenceClassification

SENTENCES = ["a gripping, beautifully acted film", "the plot is thin and the jokes fall flat",
             "an utterly charming surprise", "tedious, overlong and badly edited"]
LABELS = [1, 0, 1, 0]
R, ALPHA, D, WARMUP, LR_LORA, LR_SPA = 4, 8, 0.01, 2, 1e-3, 5e-3


class RosaLinear(torch.nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        n, m = base.weight.shape
        self.A = torch.nn.Parameter(torch.empty(R, m))
        torch.nn.init.kaiming_uniform_(self.A, a=5 ** 0.5)
        self.B = torch.nn.Parameter(torch.zeros(n, R))
        self.rows = self.cols = None
        self.values = None
        self.acc, self.count = None, 0

    def forward(self, x):
        w = self.base.weight
        if self.values is not None:
            s = torch.zeros_like(w).index_put((self.rows, self.cols), self.values)
            w = w + s
        y = torch.nn.functional.linear(x, w, self.base.bias)
        return y + (ALPHA / R) * (x @ self.A.t()) @ self.B.t()

    def collect(self):  # after a micro-batch backward with base.weight.requires_grad
        g = self.base.weight.grad.detach() ** 2
        self.acc = g if self.acc is None else (self.acc * self.count + g) / (self.count + 1)
        self.count += 1
        self.base.weight.grad = None

    def make_mask(self):
        n, m = self.base.weight.shape
        k = int(D * n * m)
        idx = torch.topk(self.acc.flatten(), k, sorted=False).indices.sort().values
        self.rows, self.cols = idx // m, idx % m
        self.values = torch.nn.Parameter(torch.zeros(k))
        return idx


def main(model_dir, out_dir):
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2, attn_implementation="eager")
    for p in model.parameters():
        p.requires_grad_(False)
    for mod in model.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
    head = {"classifier.weight": model.classifier.weight.detach().clone(),
            "classifier.bias": model.classifier.bias.detach().clone()}
    layers = {}
    for i, layer in enumerate(model.bert.encoder.layer):
        for name in ("query", "value"):
            r = RosaLinear(getattr(layer.attention.self, name))
            setattr(layer.attention.self, name, r)
            layers[f"bert.encoder.layer.{i}.attention.self.{name}"] = r
    init = {f"init.{k}.rosa_A.weight": v.A.detach().clone() for k, v in layers.items()}
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    examples = [torch.tensor([tok.encode(s).ids]) for s in SENTENCES]
    opt = torch.optim.AdamW([p for l in layers.values() for p in (l.A, l.B)], lr=LR_LORA, weight_decay=0.0)
    losses, masks = [], {}
    for step in range(5):
        collecting = step == WARMUP
        for l in layers.values():
            l.base.weight.requires_grad_(collecting)
        total = 0.0
        for x, y in zip(examples, LABELS):
            loss = model(input_ids=x, labels=torch.tensor([y])).loss
            total += loss.item()
            (loss / len(examples)).backward()
            if collecting:
                for l in layers.values():
                    l.collect()
        losses.append(total / len(examples))
        opt.step()
        opt.zero_grad()
        if collecting:
            for k, l in layers.items():
                l.base.weight.requires_grad_(False)
                masks["mask." + k] = l.make_mask().int()
                opt.add_param_group({"params": [l.values], "lr": LR_SPA, "weight_decay": 0.0})
    with torch.no_grad():
        logits = torch.cat([model(input_ids=x).logits for x in examples])
        for l in layers.values():
            l.base.weight += (ALPHA / R) * l.B @ l.A
            l.base.weight.index_put_((l.rows, l.cols), l.values, accumulate=True)
            l.values = None
            l.B.zero_()
        merged = torch.cat([model(input_ids=x).logits for x in examples])
    flat = torch.cat([x[0] for x in examples]).int()
    lens = torch.tensor([x.shape[1] for x in examples], dtype=torch.int32)
    tensors = {"ids": flat, "lengths": lens, "labels": torch.tensor(LABELS, dtype=torch.int32),
               "losses": torch.tensor(losses), "final_logits": logits.contiguous(), "merged_logits": merged.contiguous()}
    tensors.update(init)
    tensors.update(masks)
    tensors.update({"head." + k: v.contiguous() for k, v in head.items()})
    save_file(tensors, f"{out_dir}/rosa_minilm.safetensors", metadata={"losses": json.dumps(losses)})
    print("losses", losses)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "adapter-core/src/test/resources/golden")
