#!/usr/bin/env bash
# Trains MiniLM on 2,000 SST-2 rows with every method (CPU) and prints a results table.
# Usage: tools/bench/sst2_methods.sh [EPOCHS] [METHOD...]   (default: every method)
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-2}
shift || true
only=" $* "
out=$(mktemp -d)
run() { # name, extra args
  local name=$1; shift
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then return; fi
  ./rosarium train --epochs "$epochs" "$@" > "$out/$name.txt" 2> "$out/$name.err" || { echo "$name failed"; tail -5 "$out/$name.err"; }
  echo "$name: $(grep -E 'trainable parameters|after training|after merging' "$out/$name.txt" | tr '\n' ' ')"
}
run full --method full --lr 5e-5
run lora --method lora --r 8 --alpha 16 --lr 5e-4
run spa --method spa --density 0.012 --lr 5e-4
run rosa --method rosa --r 8 --alpha 16 --density 0.006 --lr 5e-4 --lora-lr 5e-4 --mask-warmup-steps 20
run qrosa --method qrosa --r 8 --alpha 16 --density 0.006 --lr 5e-4 --lora-lr 5e-4 --mask-warmup-steps 20
run subspace --method subspace --r 8 --lr 5e-4 --resample-every 63
run roselora --method roselora --r 8 --alpha 16 --lr 5e-4 --tau 0.1
