#!/bin/sh
# Generates the bge-m3-shaped and cross-encoder test models with seeded random
# weights (tools/modelgen), the mixed Japanese/English corpus, token ids from
# the Hugging Face tokenizers Node binding (ref/tokenize_ref.mjs) and the
# numpy references of modelgen (reference-m3, reference-rerank), into OUT_DIR.
# Idempotent (a stamp file); the tests run it under flock.
#   make_m3_fixtures.sh OUT_DIR SOURCE_DIR SHARED_DIR NODE_MODULES
# When a prerequisite is missing it writes the reason to OUT_DIR/skip.txt
# (the tests then skip with that reason) and exits 0.
set -eu
out=$1 src=$2 shared=$3 node_modules=$4
mkdir -p "$out"
[ -f "$out/stamp" ] && exit 0
rm -f "$out/skip.txt"
skip() { echo "$1" > "$out/skip.txt"; exit 0; }

py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import onnx, numpy' 2>/dev/null || skip "python3-onnx / python3-numpy are not installed (run scripts/setup.sh)"
tok="$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
bert_tok="$shared/tokenizers/chinese-roberta-wwm-ext-large/tokenizer.json"
[ -f "$tok" ] && [ -f "$bert_tok" ] || skip "shared tokenizers are missing ($tok, $bert_tok)"
jsick="$shared/data/jsick/jsick/test.tsv"
[ -f "$jsick" ] || skip "shared corpus $jsick is missing"
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup.sh)"
[ -d "$node_modules/@anush008/tokenizers" ] || skip "Node reference modules missing in $node_modules (run scripts/setup.sh)"
gen="$src/tools/modelgen/modelgen.py"
q() { "$py" "$gen" "$@" >/dev/null; }

# bge-m3 shaped: the official layout (.pt heads, float32 and bge-m3's own
# float16) and the two community ONNX layouts, all with the same weights. Seed
# 42 gives CLS and EOS positive sparse weights, so dropping them is tested.
m3="--arch xlmr --tokenizer $tok --seed 42 --pooling cls --normalize --int8"
q generate $m3 --out "$out/m3-official" --m3 official
q generate $m3 --out "$out/m3-official-f16" --m3 official --pt-dtype float16
q generate $m3 --out "$out/m3-aapot" --m3 aapot
q generate $m3 --out "$out/m3-yuniko" --m3 yuniko --sparse-rank 2 --bare
# Cross-encoders: XLM-R and BERT heads, sigmoid set, identity set, none set.
q generate --arch xlmr --tokenizer "$tok" --seed 51 --out "$out/rerank-xlmr-sigmoid" --classifier --activation sigmoid --int8
q generate --arch xlmr --tokenizer "$tok" --seed 52 --out "$out/rerank-xlmr-raw" --classifier --activation identity --int8
q generate --arch bert --tokenizer "$bert_tok" --seed 53 --out "$out/rerank-bert" --classifier --int8
q generate --arch bert --tokenizer "$bert_tok" --seed 54 --out "$out/rerank-bert-raw" --classifier --activation identity --int8

"$py" "$src/tools/modelgen/corpus.py" --jsick "$jsick" --out "$out/corpus.txt" 2>/dev/null
ref="$src/tests/model/ref/tokenize_ref.mjs"
node "$ref" --node-modules "$node_modules" --tokenizer "$tok" --max-length 128 --corpus "$out/corpus.txt" \
  --pairs 515 --out "$out/ids_xlmr.json" 2>/dev/null
node "$ref" --node-modules "$node_modules" --tokenizer "$bert_tok" --max-length 128 --corpus "$out/corpus.txt" \
  --pairs 515 --out "$out/ids_bert.json" 2>/dev/null
for m in m3-official m3-official-f16 m3-aapot m3-yuniko; do
  q reference-m3 --model "$out/$m" --ids "$out/ids_xlmr.json" --out "$out/expected_$m.json"
done
for m in rerank-xlmr-sigmoid rerank-xlmr-raw; do
  q reference-rerank --model "$out/$m" --ids "$out/ids_xlmr.json" --out "$out/expected_$m.json"
done
for m in rerank-bert rerank-bert-raw; do
  q reference-rerank --model "$out/$m" --ids "$out/ids_bert.json" --out "$out/expected_$m.json"
done
touch "$out/stamp"
