#!/usr/bin/env python3
"""Golden encoder outputs of all-MiniLM-L6-v2 from transformers, for the BERT parity test.

    python tools/golden/make_minilm_golden.py MODEL_DIR adapter-core/src/test/resources/golden

MODEL_DIR is the model as Rosarium's model cache unpacks it (~/.cache/rosarium/models/all-minilm-l6-v2).
Writes minilm_forward.safetensors: the token ids the reference tokenizer produces for SENTENCES
(padded batch with attention mask) and transformers' BertModel outputs on them in fp32.
"""
import json
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import BertModel

SENTENCES = [
    "a gripping, beautifully acted film that never lets go.",
    "The plot is thin, and the jokes fall flat; I wouldn't recommend it!",
    "Ünïcode & numbers 1,234.5 -- résumé (naïve) café",
]


def main(model_dir, out_dir):
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_truncation()
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(SENTENCES)
    ids = torch.tensor([e.ids for e in enc], dtype=torch.int32)
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.int32)
    types = torch.tensor([e.type_ids for e in enc], dtype=torch.int32)
    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").float().eval()
    with torch.no_grad():
        out = model(input_ids=ids.long(), attention_mask=mask.long(), token_type_ids=types.long())
    save_file({
        "input_ids": ids, "attention_mask": mask, "token_type_ids": types,
        "last_hidden_state": out.last_hidden_state.contiguous(), "pooler_output": out.pooler_output.contiguous(),
    }, f"{out_dir}/minilm_forward.safetensors", metadata={
        "sentences": json.dumps(SENTENCES), "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
    })
    print("wrote", out_dir, "ids shape", tuple(ids.shape))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "adapter-core/src/test/resources/golden")
