#!/usr/bin/env bash
# Runs on a GPU host from a directory packed by tools/cuda/pack.sh (JARS = its jars folder, JAVA a
# Java 17+), writing logs to OUTDIR. Stages, in the order given:
#   parity    every op and 20-step LoRA/RoSA curves against the CPU backend (table)
#   roofline  bf16 GEMM and device-copy ceilings
#   sddmm     the SDDMM routes vs the dense dO^T X GEMM of the same shape (1.1B and 7B layer shapes)
#   thin      LoRA's six thin products of 1.1B layers against their byte floors
#   1b | 7b   ours (LoRA, RoSA, RoSA with the tiled SDDMM kernel) and
#             PyTorch + peft (LoRA) side by side on that model shape
#   7b-ckpt   ours and peft, LoRA on the 7B shape at 8 x 512 with activation checkpointing per block
#   profile   per-call device time of one 1.1B LoRA and RoSA step, and RoSA with the tiled SDDMM
#             (serialized; not a throughput number)
# Usage: gpu-bench.sh JARS JAVA OUTDIR STAGE...
set -uo pipefail
jars=$1; java=$2; out=$3; shift 3
scripts=$(dirname "$0")
mkdir -p "$out"
run() { LD_LIBRARY_PATH=/usr/local/cuda/lib64 "$java" -Dorg.bytedeco.javacpp.pathsFirst=true --add-modules jdk.incubator.vector \
  -Xmx24g -cp "$jars/*" "$@" 2> >(grep -v 'WARNING: Using incubator' >&2); }
bench() { run dev.rosarium.bench.CudaTrainBench "$@" | tee -a "$out/bench.jsonl"; }
rosa() { bench train "$@" rosa
  run -Drosarium.cuda.sddmmTiles=true dev.rosarium.bench.CudaTrainBench train "$@" rosa | tee -a "$out/bench.jsonl"; }
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
for stage in "$@"; do
  case $stage in
    parity) run -Drosarium.cuda.poison=true dev.rosarium.kernels.CudaParity | tee "$out/parity.md" ;;
    roofline) bench roofline ;;
    thin) for shape in "4096 2048 2048 16" "4096 2048 5632 16" "4096 5632 2048 16"; do bench thin $shape; done ;;
    sddmm) for shape in "4096 2048 2048" "4096 5632 2048" "4096 2048 5632" "2048 4096 4096" "2048 11008 4096" \
        "2048 4096 11008"; do bench sddmm $shape 0.006; done ;;
    1b) bench train 1b 8 512 lora; python3 "$scripts/lora_train_torch.py" 1b 8 512 | tee -a "$out/bench.jsonl"
        rosa 1b 8 512 ;;
    7b) bench train 7b 4 512 lora; python3 "$scripts/lora_train_torch.py" 7b 4 512 | tee -a "$out/bench.jsonl"
        rosa 7b 4 512 ;;
    7b-ckpt) bench train 7b 8 512 lora ckpt; python3 "$scripts/lora_train_torch.py" 7b 8 512 ckpt | tee -a "$out/bench.jsonl" ;;
    profile) for m in lora rosa; do
        run -Drosarium.cuda.profile=true dev.rosarium.bench.CudaTrainBench train 1b 8 512 $m | tee -a "$out/profile.md"
      done
      run -Drosarium.cuda.profile=true -Drosarium.cuda.sddmmTiles=true dev.rosarium.bench.CudaTrainBench train 1b 8 512 \
        rosa | tee -a "$out/profile.md" ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
done
