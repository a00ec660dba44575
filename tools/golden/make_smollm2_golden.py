#!/usr/bin/env python3
"""Golden tokenization and logits of SmolLM2-135M-Instruct (Q4_1 GGUF) from transformers.

    python tools/golden/make_smollm2_golden.py GGUF_FILE adapter-core/src/test/resources/golden

transformers dequantizes the GGUF (through the gguf package) into a fp32 LlamaForCausalLM and
converts its tokenizer; both are the references for Rosarium's GGUF reader, LLaMA decoder and
GGUF tokenizer. To keep the fixture small it stores, per position, the log-sum-exp over the
whole vocabulary, the argmax, and the logits of the first 1024 vocabulary entries.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

TEXTS = [
    "The capital of France is",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "def add(a, b):\n    return a + b  # 12345 ünïcode",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
]


def main(gguf_path, out_dir):
    d, f = os.path.split(os.path.abspath(gguf_path))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32).eval()
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    seq = max(len(x) for x in ids[:2])
    batch = torch.full((2, seq), tok.pad_token_id if tok.pad_token_id is not None else 0, dtype=torch.long)
    for i in range(2):  # right-padded batch of the first two texts
        batch[i, :len(ids[i])] = torch.tensor(ids[i])
    mask = (torch.arange(seq)[None, :] < torch.tensor([len(ids[0]), len(ids[1])])[:, None]).long()
    with torch.no_grad():
        logits = model(input_ids=batch, attention_mask=mask).logits.float()
    flat_ids = [i for x in ids for i in x]
    lens = [len(x) for x in ids]
    save_file({
        "input_ids": batch.int(), "attention_mask": mask.int(),
        "logsumexp": torch.logsumexp(logits, dim=-1).contiguous(),
        "argmax": logits.argmax(dim=-1).int().contiguous(),
        "logits_head": logits[:, :, :1024].contiguous(),
        "tokenized_ids": torch.tensor(flat_ids, dtype=torch.int32),
        "tokenized_lengths": torch.tensor(lens, dtype=torch.int32),
    }, f"{out_dir}/smollm2_forward.safetensors", metadata={
        "texts": json.dumps(TEXTS), "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
    })
    print("wrote", out_dir, "batch", tuple(batch.shape), "lengths", lens)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "adapter-core/src/test/resources/golden")
