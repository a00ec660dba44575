#!/usr/bin/env bash
# Runs on a GPU host from a directory packed by tools/cuda/pack.sh (JARS = its jars folder, JAVA a
# Java 17+). Parity table first, then ceilings, then ours and PyTorch + peft side by side.
# Usage: gpu-bench.sh JARS JAVA OUTDIR [parity|bench|all]
set -uo pipefail
jars=$1; java=$2; out=$3; what=${4:-all}
scripts=$(dirname "$0")
mkdir -p "$out"
run() { LD_LIBRARY_PATH=/usr/local/cuda/lib64 "$java" -Dorg.bytedeco.javacpp.pathsFirst=true --add-modules jdk.incubator.vector \
  -Xmx24g -cp "$jars/*" "$@" 2> >(grep -v 'WARNING: Using incubator' >&2); }
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
if [[ $what == parity || $what == all ]]; then
  run -Drosarium.cuda.poison=true dev.rosarium.kernels.CudaParity | tee "$out/parity.md"
fi
if [[ $what == bench || $what == all ]]; then
  : > "$out/bench.jsonl"
  run dev.rosarium.bench.CudaTrainBench roofline | tee -a "$out/bench.jsonl"
  for shape in "4096 2048 2048" "4096 5632 2048" "4096 2048 5632"; do
    run dev.rosarium.bench.CudaTrainBench sddmm $shape 0.006 | tee -a "$out/bench.jsonl"
  done
  run dev.rosarium.bench.CudaTrainBench train 1b 8 512 lora | tee -a "$out/bench.jsonl"
  python3 "$scripts/lora_train_torch.py" 1b 8 512 | tee -a "$out/bench.jsonl"
  run dev.rosarium.bench.CudaTrainBench train 1b 8 512 rosa | tee -a "$out/bench.jsonl"
  run dev.rosarium.bench.CudaTrainBench train 7b 4 512 lora | tee -a "$out/bench.jsonl"
  python3 "$scripts/lora_train_torch.py" 7b 4 512 | tee -a "$out/bench.jsonl"
  run dev.rosarium.bench.CudaTrainBench train 7b 4 512 rosa | tee -a "$out/bench.jsonl"
fi
