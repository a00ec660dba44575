#!/usr/bin/env bash
# One full fine-tuning step on the CPU, Rosarium vs PyTorch + transformers, same weights and batch, one run.
# Usage: tools/bench/train_step.sh [PYTHON] [minilm|smollm2|all]   (PYTHON needs torch, transformers, gguf, accelerate)
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${1:-.venv-ref/bin/python}
which=${2:-all}
mvn -q -B package -pl bench -am -DskipTests
cp=$(ls bench/target/bench-*.jar):$(ls adapter-core/target/adapter-core-*.jar)
cp="$cp:$(mvn -q -B dependency:build-classpath -pl adapter-core -Dmdep.outputFile=/dev/stdout)"
out=$(mktemp -d)
java --add-modules jdk.incubator.vector -Xmx8g -cp "$cp" dev.rosarium.bench.TrainStepBench "$which" 2>/dev/null | tee "$out/ours.jsonl"
models=${ROSARIUM_MODEL_CACHE:-$HOME/.cache/rosarium/models}
"$py" tools/bench/train_step_torch.py "$models/all-minilm-l6-v2" \
  "$models/smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf" "$(nproc)" "$which" 2>/dev/null | tee "$out/peer.jsonl"
"$py" - "$out/ours.jsonl" "$out/peer.jsonl" <<'PY'
import json, sys
ours = {r["model"]: r for r in map(json.loads, open(sys.argv[1]))}
peer = {r["model"]: r for r in map(json.loads, open(sys.argv[2]))}
print("\n| model | batch x seq | Rosarium s/step | PyTorch s/step | speed ratio (ours/peer tokens/s) |")
print("|---|---|---|---|---|")
for k, o in ours.items():
    p = peer[k]
    print(f"| {k} | {o['batch']} x {o['seq']} | {o['step_seconds']:.3f} | {p['step_seconds']:.3f} | {p['step_seconds']/o['step_seconds']:.2f}x |")
PY
