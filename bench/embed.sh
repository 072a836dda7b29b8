#!/bin/sh
# Embedding throughput of imi vs a Node pipeline (onnxruntime-node + the HF
# tokenizers binding, batches of 32 in input order) on the full-size
# generated paraphrase-multilingual-MiniLM-L12-v2-shaped model, FP32 and INT8,
# one sentence at a time and batched, on JSTS Japanese sentences.
#   bench/embed.sh [BUILD_DIR (default build)] [SENTENCES (default 1000)] [THREADS (default: all cores)]
# ARCH=xlmr SIZE=small (multilingual-e5-small shape) or SIZE=full (bge-m3
# shape, 2.2 GB) benchmarks an XLM-RoBERTa model instead (default ARCH=bert SIZE=full);
# ARCH=modernbert SIZE=30m|310m a ruri-v3-30m / ruri-v3-310m-shaped ModernBERT,
# generated as a safetensors repository and converted with imi convert (timed).
# Prints a markdown table; also checks that imi's and Node's vectors agree and
# prints the INT8-vs-FP32 mean cosine.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-1000}
threads=${3:-$(nproc)}
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
node_modules=$root/.deps/node/node_modules
work=$build/bench-embed
arch=${ARCH:-bert}
size=${SIZE:-full}
model=$work/$arch-$size
mkdir -p "$work"

if [ "$arch" = modernbert ]; then
  if [ ! -f "$model/config.json" ]; then
    "$py" "$root/tools/modelgen/modelgen.py" repo --arch modernbert --size "$size" --seed 7 --prompts ruri \
      --max-seq-length 8192 --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" \
      --out "$model" >&2
  fi
  rm -rf "$model/onnx"
  /usr/bin/time -f "%e s wall, peak RSS %M KB" -o "$work/convert.txt" "$imi" convert --model "$model" -q
  echo "imi convert (safetensors -> FP32 + this CPU's INT8 file): $(cat "$work/convert.txt")"
elif [ ! -f "$model/onnx/model.onnx" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch "$arch" --size "$size" --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$model" >&2
fi
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$n" > "$work/jsts.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
seen = []
for r in rows:
    for s in (r["sentence1"], r["sentence2"]):
        if s not in seen:
            seen.append(s)
for s in seen[: int(sys.argv[2])]:
    print(s)
PY
dim=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["hidden_size"])' "$model/config.json")
echo "model: $arch/$size (hidden $dim); sentences: $(wc -l < "$work/jsts.txt") from JSTS valid; threads: $threads; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "| pipeline | variant | batching | sentences/s | tokens/s | load ms | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"

# imi: $1 variant, $2 label, $3 extra flags, $4 output file
run_imi() {
  /usr/bin/time -f "%M" -o "$work/time.txt" "$imi" embed --model "$model" --variant "$1" \
    --threads "$threads" --format f32 $3 < "$work/jsts.txt" > "$4" 2> "$work/imi.err"
  summary=$(grep "inputs/s" "$work/imi.err")
  sps=$(echo "$summary" | sed 's/.*(\([0-9.]*\) inputs\/s.*/\1/')
  tps=$(echo "$summary" | sed 's/.*, \([0-9]*\) tokens\/s.*/\1/')
  load=$(echo "$summary" | sed 's/.*load \([0-9]*\) ms.*/\1/')
  rss=$(( $(cat "$work/time.txt") / 1024 ))
  echo "| imi | $1 | $2 | $sps | $tps | $load | $rss |"
}

for variant in fp32 int8; do
  run_imi "$variant" "one at a time" "--batch-size 1" "$work/imi_${variant}_single.f32"
  run_imi "$variant" "32, input order" "--batch-size 32" "$work/imi_${variant}_b32.f32"
  run_imi "$variant" "length-sorted (default)" "" "$work/imi_${variant}_sorted.f32"
  file=$(sed -n 's/^imi embed: variant \([^ ]*\) .*/\1/p' "$work/imi.err" | head -1)
  /usr/bin/time -f "%M" -o "$work/time.txt" node "$root/tests/model/ref/embed_ref.mjs" bench \
    --node-modules "$node_modules" --model "$model" --onnx "$model/$file" --corpus "$work/jsts.txt" \
    --threads "$threads" --out "$work/node_${variant}.f32" > "$work/node.json"
  "$py" - "$work/node.json" "$variant" "$(( $(cat "$work/time.txt") / 1024 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for label, key in (("one at a time", "single"), ("32, input order", "batched")):
    m = r[key]
    print(f"| Node (onnxruntime-node + tokenizers) | {sys.argv[2]} | {label} | {m['sentences_per_s']:.1f} | "
          f"{m['tokens_per_s']:.0f} | {r['load_ms']:.0f} | {sys.argv[3]} |")
PY
done
echo
for variant in fp32 int8; do
  echo "imi vs Node, $variant (32 per batch): $("$py" "$root/bench/embed_compare.py" "$work/imi_${variant}_b32.f32" "$work/node_${variant}.f32" $dim)"
  echo "imi one-at-a-time vs length-sorted batches, $variant: $("$py" "$root/bench/embed_compare.py" "$work/imi_${variant}_single.f32" "$work/imi_${variant}_sorted.f32" $dim)"
done
echo "INT8 vs FP32 (imi): $("$py" "$root/bench/embed_compare.py" "$work/imi_int8_sorted.f32" "$work/imi_fp32_sorted.f32" $dim)"
