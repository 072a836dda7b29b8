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

# Left padding really happens: the same model with right padding gives the
# same vectors (rotary positions are relative), and the pooled token is the last.
grep -q '"padding_side": "left"' "$work/mb-lasttoken-left/tokenizer_config.json"
echo "convert parity: all cases passed"
