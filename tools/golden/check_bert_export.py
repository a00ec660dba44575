"""Loads a classifier exported by Rosarium in transformers and peft and compares its logits.

Usage: check_bert_export.py BASE_MODEL_DIR ADAPTER_DIR MERGED_DIR EXPECTED.safetensors SENTENCE...
Exits non-zero when either load gives logits further than 1e-4 (relative to the largest) from ours.
"""
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertForSequenceClassification

base_dir, adapter_dir, merged_dir, expected_path, *sentences = sys.argv[1:]
expected = load_file(expected_path)["logits"]
tok = AutoTokenizer.from_pretrained(merged_dir)
enc = tok(sentences, padding=True, truncation=True, max_length=32, return_tensors="pt")


def check(name, model):
    model.eval()
    with torch.no_grad():
        got = model(**enc).logits
    diff = (got - expected).abs().max().item()
    rel = diff / expected.abs().max().item()
    print(f"{name}: max abs diff {diff:.3g} ({rel:.3g} relative)")
    return rel <= 1e-4


ok = check("transformers loaded the merged model", BertForSequenceClassification.from_pretrained(merged_dir))
base = BertForSequenceClassification.from_pretrained(base_dir, num_labels=2)
ok &= check("peft loaded the adapter", PeftModel.from_pretrained(base, adapter_dir))
sys.exit(0 if ok else 1)
