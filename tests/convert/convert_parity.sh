#!/bin/sh
# imi convert end to end against an independent numpy forward pass
# (tools/modelgen: modernbert.py and architecture.py, written from the
# transformers definitions) on random-weight repositories in the real
# layouts; converted BERT/XLM-R also against tools/modelgen's own ONNX of the
# same weights.
#   convert_parity.sh IMI SOURCE_DIR SHARED_DIR WORK_DIR
# Exits 0 with "SKIP: reason" when python3-numpy or the shared data are missing.
set -eu
imi=$1 src=$2 shared=$3 work=$4
py=/usr/bin/python3
gen="$src/tools/modelgen/modelgen.py"
cmp="$py $src/tests/convert/compare.py"
tok="$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
jsick="$shared/data/jsick/jsick/test.tsv"
"$py" -c 'import numpy, onnx' 2>/dev/null || { echo "SKIP: python3-numpy / python3-onnx missing"; exit 0; }
[ -f "$tok" ] && [ -f "$jsick" ] || { echo "SKIP: shared tokenizer or JSICK missing"; exit 0; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# >= 500 inputs: JSICK Japanese and English sentences, most longer than the
# tiny ModernBERT's 16-token window, and long joined ones (~300 tokens).
"$py" "$src/tools/modelgen/corpus.py" --jsick "$jsick" --rows 180 --out corpus.txt
echo "corpus: $(wc -l < corpus.txt) inputs"

# case NAME ARCH POOLING PROMPT(text prepended or "") SKIP? GEN-FLAGS...
check() {
  name=$1 arch=$2 pooling=$3 prompt=$4 exclude=$5
  shift 5
  dir="$work/$name"
  "$py" "$gen" repo --arch "$arch" --tokenizer "$tok" --out "$dir" --pooling "$pooling" "$@" > /dev/null
  "$imi" convert --model "$dir" --variant fp32 -q
  [ ! -e "$dir/onnx/model_quint8_avx2.onnx" ] || { echo "$name: --variant fp32 wrote INT8 files"; exit 1; }
  embed_flags=""
  skip=0
  if [ -n "$prompt" ]; then
    embed_flags="--prompt-name query"
    if [ "$exclude" = yes ]; then
      skip=$(printf '%s\n' "$prompt" | "$imi" tokenize --tokenizer "$dir" | "$py" -c 'import json,sys; print(len(json.loads(sys.stdin.readline())["ids"]) - 1)')
    fi
  fi
  sed "s/^/$prompt/" corpus.txt | "$imi" tokenize --tokenizer "$dir" > "$name.ids.jsonl"
  "$py" "$gen" hf-reference --model "$dir" --ids "$name.ids.jsonl" --pooling "$pooling" \
    --skip-tokens "$skip" --out "$name.expected.npy" > /dev/null
  "$imi" embed --model "$dir" --variant fp32 --threads 2 --format npy $embed_flags < corpus.txt > "$name.sorted.npy" 2> "$name.err"
  $cmp "$name.sorted.npy" "$name.expected.npy" 1e-4 "$name: imi embed (length-sorted batches) vs numpy"
  "$imi" embed --model "$dir" --variant fp32 --threads 2 --format npy --batch-size 32 $embed_flags < corpus.txt > "$name.b32.npy" 2> "$name.err"
  $cmp "$name.b32.npy" "$name.expected.npy" 1e-4 "$name: imi embed (32 per batch, padded) vs numpy"
}

check mb-old-bf16-sharded modernbert mean "検索クエリ: " no --prompts ruri --config-form old \
  --global-theta 80000 --local-theta 5000 --dtype bf16 --shards 3 --prefix model --seed 21
check mb-new-f16-biases modernbert mean "" no --config-form new --global-theta 160000 \
  --local-theta 10000 --dtype f16 --biases --seed 22
check mb-exclude-prompt modernbert mean "検索クエリ: " yes --prompts ruri --exclude-prompt --seed 23
check mb-lasttoken-left modernbert lasttoken "" no --padding-side left --seed 24
check bert-prefix bert mean "" no --prefix bert --seed 25 --modelgen-onnx "$work/bert-modelgen"
check xlmr-f16-prefix xlmr cls "query: " no --prompts e5 --prefix roberta --dtype f16 --seed 26 \
  --modelgen-onnx "$work/xlmr-modelgen"

# Converted BERT / XLM-R equal tools/modelgen's ONNX of the same weights.
for m in bert-prefix xlmr-f16-prefix; do
  base=${m%%-*}
  flags=""
  [ "$base" = xlmr ] && flags="--prompt-name query"
  "$imi" embed --model "$work/$base-modelgen" --variant fp32 --threads 2 --format npy $flags < corpus.txt > "$m.modelgen.npy" 2>/dev/null
  $cmp "$m.sorted.npy" "$m.modelgen.npy" 2e-5 "$m: converted vs tools/modelgen ONNX"
done

# External data: a threshold of 0 MB puts every weight in model.onnx_data;
# ONNX Runtime loads it and the vectors are the same.
"$imi" convert --model "$work/bert-prefix" --out "$work/bert-external" --variant fp32 --external-data-mb 0 -q
[ -s "$work/bert-external/onnx/model.onnx_data" ] || { echo "no external data file"; exit 1; }
"$imi" embed --model "$work/bert-external" --variant fp32 --threads 2 --format npy < corpus.txt > external.npy 2>/dev/null
$cmp external.npy bert-prefix.sorted.npy 0 "external data vs inline"

# INT8: every target's file, --variant auto picks this CPU's one, quality vs FP32.
"$imi" quantize --model "$work/mb-old-bf16-sharded" --target all -q
for f in model_quint8_avx2 model_qint8_avx512 model_qint8_avx512_vnni model_qint8_arm64; do
  [ -s "$work/mb-old-bf16-sharded/onnx/$f.onnx" ] || { echo "imi quantize did not write $f.onnx"; exit 1; }
done
"$imi" embed --model "$work/mb-old-bf16-sharded" --threads 2 --format npy --prompt-name query < corpus.txt > int8.npy 2> int8.err
grep "^imi embed: variant onnx/model_q" int8.err
"$py" - int8.npy mb-old-bf16-sharded.sorted.npy <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
print(f"INT8 vs FP32: mean cosine {cos.mean():.5f}, min {cos.min():.5f}")
sys.exit(0 if cos.mean() >= 0.99 else 1)
PY
# Per-row activations: the same vector whatever the batch (bit for bit).
"$imi" quantize --model "$work/mb-old-bf16-sharded" --target auto --activations per-row --out "$work/rows/onnx" -q
cp "$work/mb-old-bf16-sharded/"*.json "$work/rows/"; cp -r "$work/mb-old-bf16-sharded/1_Pooling" "$work/rows/"
"$imi" embed --model "$work/rows" --variant int8 --threads 2 --format npy < corpus.txt > rows.sorted.npy 2>/dev/null
"$imi" embed --model "$work/rows" --variant int8 --threads 2 --format npy --batch-size 1 < corpus.txt > rows.single.npy 2>/dev/null
$cmp rows.single.npy rows.sorted.npy 0 "per-row INT8: one at a time vs batched"

# imi pull of a safetensors-only repository converts after download.
rm -rf hub cache
mkdir -p hub
printf '{"templates": {}, "repos": {"org/tiny-modernbert": {"sha": "%s", "dir": "%s"}}}\n' \
  0123456789abcdef0123456789abcdef01234567 "$work/mb-pull-src" > hub/spec.json
"$py" "$gen" repo --arch modernbert --tokenizer "$tok" --out "$work/mb-pull-src" --shards 2 --seed 27 > /dev/null
"$py" "$src/tests/hub/fake_hub.py" --spec hub/spec.json --root hub --port-file hub/ports --log hub/log &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null || true' EXIT
for i in $(seq 100); do [ -f hub/ports ] && break; sleep 0.1; done
port=$(cut -d' ' -f1 hub/ports)
pulled=$("$imi" pull org/tiny-modernbert --endpoint "http://127.0.0.1:$port" --dir "$work/cache" 2> pull.err)
cat pull.err
grep -q "has no ONNX files: converting" pull.err
[ -s "$pulled/onnx/model.onnx" ] && [ -s "$pulled/model-00001-of-00002.safetensors" ]
grep -q '"converted_from": "safetensors"' "$pulled/imi-pull.json"
"$imi" embed --model "$pulled" --variant fp32 --threads 2 --format npy < corpus.txt > pulled.npy 2>/dev/null
"$imi" convert --model "$work/mb-pull-src" --variant fp32 -q
"$imi" embed --model "$work/mb-pull-src" --variant fp32 --threads 2 --format npy < corpus.txt > pull-src.npy 2>/dev/null
$cmp pulled.npy pull-src.npy 0 "imi pull (converted) vs imi convert"
# A second pull is served from the cache: no download, no conversion.
"$imi" pull org/tiny-modernbert --revision 0123456789abcdef0123456789abcdef01234567 \
  --endpoint "http://127.0.0.1:$port" --dir "$work/cache" 2> pull2.err > /dev/null
grep -q "already in the cache" pull2.err
kill $hub_pid
echo "convert parity: all cases passed"
