#!/bin/sh
# Tokenisation throughput: imi (one thread) beside the reference library
# (@anush008/tokenizers = HF tokenizers 0.22.2, encodeBatch) single-threaded
# and multi-threaded, on the project corpus, same machine, same run; loading
# and one warm-up pass excluded on both sides. Prints a Markdown table.
#   bench/tokenize.sh [BUILD_DIR] [REPS]      (after scripts/setup.sh and
#   ninja -C BUILD_DIR tokenize_bench)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
reps=${2:-3}
corpus=$repo/tests/data/tokenizer/corpus/corpus.jsonl
shared=${IMI_SHARED_DIR:-$repo/../shared}
bench=$build/bench/tokenize_bench
ref=$repo/bench/ref/tokenize_ref_bench.mjs
[ -x "$bench" ] || { echo "tokenize.sh: build $bench first (ninja -C $build tokenize_bench)" >&2; exit 2; }

field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p"; }
rate() { awk -v t="$1" -v s="$2" 'BEGIN { printf "%.0f", t / s }'; }

echo "| tokenizer | tokens | imi 1 thread (tok/s) | reference 1 thread (tok/s) | imi / ref | reference all cores (tok/s) |"
echo "|---|---|---|---|---|---|"
for file in "$shared"/tokenizers/*/tokenizer.json; do
  name=$(basename "$(dirname "$file")")
  imi=$("$bench" "$file" "$corpus" "$reps")
  one=$(RAYON_NUM_THREADS=1 RAYON_RS_NUM_CPUS=1 TOKENIZERS_PARALLELISM=false node "$ref" "$file" "$corpus" "$reps")
  all=$(TOKENIZERS_PARALLELISM=true node "$ref" "$file" "$corpus" "$reps")
  tokens=$(echo "$imi" | field tokens)
  imi_rate=$(rate "$tokens" "$(echo "$imi" | field seconds)")
  one_rate=$(rate "$(echo "$one" | field tokens)" "$(echo "$one" | field seconds)")
  all_rate=$(rate "$(echo "$all" | field tokens)" "$(echo "$all" | field seconds)")
  ratio=$(awk -v a="$imi_rate" -v b="$one_rate" 'BEGIN { printf "%.2f", a / b }')
  echo "| $name | $tokens | $imi_rate | $one_rate | $ratio | $all_rate |"
done
