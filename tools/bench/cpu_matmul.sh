#!/usr/bin/env bash
# CPU matrix-product throughput, Rosarium's CPU backend vs PyTorch CPU, in one run on one machine.
# Usage: tools/bench/cpu_matmul.sh [PYTHON] [SHAPE...]   (PYTHON must have torch; default .venv-ref/bin/python)
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${1:-.venv-ref/bin/python}; shift || true
threads=$(nproc)
mvn -q -B package -pl bench -am -DskipTests
cp=$(ls bench/target/bench-*.jar):$(ls adapter-core/target/adapter-core-*.jar)
out=$(mktemp -d)
java --add-modules jdk.incubator.vector -cp "$cp" dev.rosarium.bench.MatmulBench "$@" 2>/dev/null | tee "$out/ours.jsonl"
"$py" tools/bench/matmul_torch.py "$threads" "$@" | tee "$out/peer.jsonl"
"$py" - "$out/ours.jsonl" "$out/peer.jsonl" <<'PY'
import json, sys
ours = {(r["shape"], r["transB"]): r for r in map(json.loads, open(sys.argv[1]))}
peer = {(r["shape"], r["transB"]): r for r in map(json.loads, open(sys.argv[2]))}
print("\n| M x K x N | B layout | Rosarium GFLOP/s | PyTorch GFLOP/s | ratio |")
print("|---|---|---|---|---|")
for key, o in ours.items():
    p = peer[key]
    print(f"| {key[0]} | {'(N,K) x W^T' if key[1] else '(K,N)'} | {o['gflops']:.1f} | {p['gflops']:.1f} | {o['gflops']/p['gflops']:.2f}x |")
PY
