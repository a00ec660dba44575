"""Loads a causal LM exported by Rosarium (a merged model directory) in transformers and compares
its logits and chat template with ours.

Usage: check_llama_export.py MERGED_DIR EXPECTED.safetensors
EXPECTED holds "ids" (1, seq) int32 and "logits" (1, seq, vocab) float32 from our loader, and its
metadata "chat" the prompt our ChatML template renders for one user turn "Hi". Exits non-zero when
the logits differ by more than 1e-4 relative to the largest, or the template renders differently.
"""
import sys

import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer

merged_dir, expected_path = sys.argv[1:]
with safe_open(expected_path, "pt") as f:
    ids = f.get_tensor("ids").long()
    expected = f.get_tensor("logits")
    chat = f.metadata()["chat"]
model = AutoModelForCausalLM.from_pretrained(merged_dir, torch_dtype=torch.float32)
model.eval()
with torch.no_grad():
    got = model(input_ids=ids).logits
diff = (got - expected).abs().max().item()
rel = diff / expected.abs().max().item()
print(f"transformers loaded the merged model: max abs diff {diff:.3g} ({rel:.3g} relative)")
tok = AutoTokenizer.from_pretrained(merged_dir)
rendered = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
print(f"chat template renders {'the same prompt' if rendered == chat else 'differently: ' + repr(rendered)}")
sys.exit(0 if rel <= 1e-4 and rendered == chat else 1)
