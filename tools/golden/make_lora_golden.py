#!/usr/bin/env python3
"""Golden LoRA training run with HF peft on all-MiniLM-L6-v2, for Rosarium's LoRA parity test.

    python tools/golden/make_lora_golden.py MINILM_DIR adapter-core/src/test/resources/golden

A BertForSequenceClassification (2 labels, head from seed 0), peft LoRA r=4, alpha=8, on query and
value, dropout 0. Records the initial LoRA A matrices and head, the batch, the loss of each of 5
AdamW steps (lr 1e-3), the final logits before and after merge_and_unload, and saves the trained
adapter with save_pretrained (peft_lora_minilm/).
"""
import json
import sys

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import BertForSequenceClassification

SENTENCES = ["a gripping, beautifully acted film", "the plot is thin and the jokes fall flat",
             "an utterly charming surprise", "tedious, overlong and badly edited"]
LABELS = [1, 0, 1, 0]


def main(model_dir, out_dir):
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2, attn_implementation="eager")
    model.config.hidden_dropout_prob = 0.0
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"], lora_dropout=0.0)
    peft_model = get_peft_model(model, cfg)
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(SENTENCES)
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    labels = torch.tensor(LABELS)
    init = {k.replace(".default", ""): v.detach().clone().contiguous()
            for k, v in peft_model.named_parameters() if "lora_A" in k}
    head = {"classifier.weight": model.classifier.weight.detach().clone(),
            "classifier.bias": model.classifier.bias.detach().clone()}
    opt = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-3)
    losses = []
    peft_model.train()
    for _ in range(5):
        out = peft_model(input_ids=ids, attention_mask=mask, labels=labels)
        losses.append(out.loss.item())
        out.loss.backward()
        opt.step()
        opt.zero_grad()
    peft_model.eval()
    with torch.no_grad():
        logits = peft_model(input_ids=ids, attention_mask=mask).logits
        peft_model.save_pretrained(f"{out_dir}/peft_lora_minilm")
        merged = peft_model.merge_and_unload()
        merged_logits = merged(input_ids=ids, attention_mask=mask).logits
    tensors = {"input_ids": ids.int(), "attention_mask": mask.int(), "labels": labels.int(),
               "losses": torch.tensor(losses), "final_logits": logits.contiguous(),
               "merged_logits": merged_logits.contiguous()}
    tensors.update({"init." + k: v for k, v in init.items()})
    tensors.update({"head." + k: v.contiguous() for k, v in head.items()})
    save_file(tensors, f"{out_dir}/lora_minilm.safetensors",
              metadata={"peft": __import__("peft").__version__, "losses": json.dumps(losses)})
    print("losses", losses)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "adapter-core/src/test/resources/golden")
