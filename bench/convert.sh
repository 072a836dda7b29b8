#!/bin/sh
# imi convert / imi quantize on full-size random-weight repositories in the
# shapes of ruri-v3-30m, ruri-v3-310m (ModernBERT) and
# paraphrase-multilingual-MiniLM-L12-v2 (BERT), from tools/modelgen:
# convert + quantize time, FP32 and INT8 sentences/s on JSTS sentences, load
# time, peak RSS, INT8-vs-FP32 cosine; INT8 batch dependence (per-tensor vs
# per-row activations: one sentence at a time vs length-sorted batches); and
# imi quantize's file against tools/modelgen's quantize_dynamic layout for the
# same weights (BERT shape).
#   bench/convert.sh [BUILD_DIR (default build)] [SENTENCES (default 1000)] [SHAPES (default "30m 310m minilm")]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-1000}
shapes=${3:-30m 310m minilm}
threads=${THREADS:-$(nproc)}
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
work=$build/bench-convert
tok=$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json
mkdir -p "$work"
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$n" > "$work/jsts.txt" <<'PY'
import json, sys
seen = []
for r in map(json.loads, open(sys.argv[1], encoding="utf-8")):
    for s in (r["sentence1"], r["sentence2"]):
        if s not in seen:
            seen.append(s)
print("\n".join(seen[: int(sys.argv[2])]))
PY
echo "sentences: $(wc -l < "$work/jsts.txt") from JSTS valid; threads: $threads; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"

# embed DIR VARIANT FLAGS OUT -> "sentences/s load_ms rss_mb"
embed() {
  /usr/bin/time -f "%M" -o "$work/time.txt" "$imi" embed --model "$1" --variant "$2" --threads "$threads" \
    --format npy $3 < "$work/jsts.txt" > "$4" 2> "$work/embed.err"
  s=$(grep "inputs/s" "$work/embed.err")
  echo "$(echo "$s" | sed 's/.*(\([0-9.]*\) inputs\/s.*/\1/') $(echo "$s" | sed 's/.*load \([0-9]*\) ms.*/\1/') $(( $(cat "$work/time.txt") / 1024 ))"
}
cmp() { "$py" - "$1" "$2" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
print(f"max|d| {np.abs(a - b).max():.3g}, mean cos {cos.mean():.5f}, min cos {cos.min():.5f}")
PY
}

echo
echo "| shape | step / variant | seconds or sentences/s | load ms | peak RSS MB | vectors |"
echo "|---|---|---|---|---|---|"
for shape in $shapes; do
  dir=$work/$shape
  if [ ! -f "$dir/config.json" ]; then
    case $shape in
      minilm) "$py" "$root/tools/modelgen/modelgen.py" repo --arch bert --size full --tokenizer "$tok" --seed 7 \
                --out "$dir" --max-seq-length 128 --modelgen-onnx "$work/minilm-modelgen" \
                --modelgen-int8 qint8_avx512_vnni quint8_avx2 >&2 ;;
      *) "$py" "$root/tools/modelgen/modelgen.py" repo --arch modernbert --size "$shape" --tokenizer "$tok" \
                --seed 7 --out "$dir" --prompts ruri --max-seq-length 8192 >&2 ;;
    esac
  fi
  rm -rf "$dir/onnx" "$dir-rows"
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$imi" convert --model "$dir" --variant fp32 -q
  set -- $(cat "$work/time.txt")
  echo "| $shape | imi convert (FP32) | $1 s wall ($(echo "$3 $4" | awk '{print $1 + $2}') s CPU) | | $(( $2 / 1024 )) | |"
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$imi" quantize --model "$dir" --target auto -q
  set -- $(cat "$work/time.txt")
  echo "| $shape | imi quantize (auto target, per-tensor) | $1 s wall ($(echo "$3 $4" | awk '{print $1 + $2}') s CPU) | | $(( $2 / 1024 )) | |"
  mkdir -p "$dir-rows"
  "$imi" quantize --model "$dir" --target auto --activations per-row --out "$dir-rows/onnx" -q
  cp "$dir"/*.json "$dir-rows/"; cp -r "$dir/1_Pooling" "$dir-rows/"
  set -- $(embed "$dir" fp32 "" "$work/$shape.fp32.npy")
  echo "| $shape | FP32 | $1 sentences/s | $2 | $3 | |"
  set -- $(embed "$dir" int8 "" "$work/$shape.int8.npy")
  echo "| $shape | INT8 per-tensor, length-sorted batches | $1 sentences/s | $2 | $3 | vs FP32: $(cmp "$work/$shape.int8.npy" "$work/$shape.fp32.npy") |"
  set -- $(embed "$dir" int8 "--batch-size 1" "$work/$shape.int8.single.npy")
  echo "| $shape | INT8 per-tensor, one at a time | $1 sentences/s | $2 | $3 | vs batched: $(cmp "$work/$shape.int8.single.npy" "$work/$shape.int8.npy") |"
  set -- $(embed "$dir-rows" int8 "" "$work/$shape.rows.npy")
  echo "| $shape | INT8 per-row, length-sorted batches | $1 sentences/s | $2 | $3 | vs FP32: $(cmp "$work/$shape.rows.npy" "$work/$shape.fp32.npy") |"
  set -- $(embed "$dir-rows" int8 "--batch-size 1" "$work/$shape.rows.single.npy")
  echo "| $shape | INT8 per-row, one at a time | $1 sentences/s | $2 | $3 | vs batched: $(cmp "$work/$shape.rows.single.npy" "$work/$shape.rows.npy") |"
  if [ "$shape" = minilm ]; then
    file=$(sed -n 's/^imi embed: variant onnx\/\([^ ]*\) .*/\1/p' "$work/embed.err" | head -1)
    set -- $(embed "$work/minilm-modelgen" "$file" "" "$work/minilm.modelgen.npy")
    echo "| minilm | tools/modelgen $file (quantize_dynamic layout, per-tensor weights) | $1 sentences/s | $2 | $3 | vs imi quantize: $(cmp "$work/minilm.modelgen.npy" "$work/$shape.int8.npy") |"
  fi
done
