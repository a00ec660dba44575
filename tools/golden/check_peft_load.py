#!/usr/bin/env python3
"""Loads a LoRA adapter directory written by Rosarium into HF peft and checks its logits.

    python tools/golden/check_peft_load.py MINILM_DIR ADAPTER_DIR GOLDEN_SAFETENSORS

GOLDEN_SAFETENSORS is lora_minilm.safetensors (head, batch, and the expected logits after training).
Exits 1 when peft's logits differ from the expected ones by more than 1e-4 relative.
"""
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import BertForSequenceClassification


def main(model_dir, adapter_dir, golden):
    g = load_file(golden)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2, attn_implementation="eager")
    with torch.no_grad():
        model.classifier.weight.copy_(g["head.classifier.weight"])
        model.classifier.bias.copy_(g["head.classifier.bias"])
    model = PeftModel.from_pretrained(model, adapter_dir).eval()
    with torch.no_grad():
        logits = model(input_ids=g["input_ids"].long(), attention_mask=g["attention_mask"].long()).logits
    want = g["final_logits"]
    diff = (logits - want).abs().max().item()
    print(f"peft loaded {adapter_dir}: max abs logit diff {diff:.3g}")
    sys.exit(0 if diff <= 1e-4 * max(1.0, want.abs().max().item()) else 1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
