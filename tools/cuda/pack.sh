#!/usr/bin/env bash
# Packs what a GPU host without Maven needs to run the CUDA backend: our jars, their runtime
# dependencies (JavaCPP and the CUDA presets' linux-x86_64 bindings, not the multi-GB redist
# jar: the host's own CUDA libraries are used) and the scripts under tools/cuda and tools/bench.
# Usage: tools/cuda/pack.sh DEST   (then on the host: java -cp 'DEST/jars/*' ...)
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=$1
cpfile=$(mktemp)
# one reactor run, so the bench module's classpath resolves our modules' fresh jars (bench is built last)
mvn -q -B -o package dependency:build-classpath -pl bench -am -DskipTests -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$cpfile"
cp_list=$(cat "$cpfile")
rm -f "$cpfile"
rm -rf "$dest/jars" "$dest/scripts"
mkdir -p "$dest/jars" "$dest/scripts"
cp adapter-core/target/adapter-core-*.jar kernels/target/kernels-*.jar bench/target/bench-*.jar "$dest/jars/"
for j in ${cp_list//:/ }; do
  case "$(basename "$j")" in
    # tokenizers (native Rust, 18 MB) and the CUDA redist are not needed for training benchmarks
    tokenizers-*|cuda-*-redist*|adapter-core-*|kernels-*) ;;
    *) cp "$j" "$dest/jars/" ;;
  esac
done
cp tools/cuda/*.sh tools/bench/*.py "$dest/scripts/"
du -sh "$dest"
