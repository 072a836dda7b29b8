#!/bin/sh
# Generates the tiny models, the corpus and the reference vectors the model
# tests compare against, into OUT_DIR. Idempotent (a stamp file holding this
# script's checksum: a changed script regenerates); run under
# flock by the tests so that parallel test processes generate once.
#   make_fixtures.sh OUT_DIR SOURCE_DIR SHARED_DIR NODE_MODULES
# When a prerequisite is missing it writes the reason to OUT_DIR/skip.txt
# (the tests then skip with that reason) and exits 0.
set -eu
out=$1 src=$2 shared=$3 node_modules=$4
mkdir -p "$out"
version=$(cksum < "$0")
[ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$version" ] && exit 0
rm -f "$out/skip.txt"
skip() { echo "$1" > "$out/skip.txt"; exit 0; }

py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import onnx, numpy' 2>/dev/null || skip "python3-onnx / python3-numpy are not installed (run scripts/setup.sh)"
tok="$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
[ -f "$tok" ] || skip "shared tokenizer $tok is missing"
jsick="$shared/data/jsick/jsick/test.tsv"
[ -f "$jsick" ] || skip "shared corpus $jsick is missing"
gen="$src/tools/modelgen/modelgen.py"

# INT8 for both CPU families (x86 AVX2/AVX-512 VNNI and arm64), so the INT8
# tests run on an arm64 build under qemu too.
int8="quint8_avx2 qint8_avx512_vnni qint8_arm64"
# shellcheck disable=SC2086 # a list of variants
"$py" "$gen" generate --arch bert --tokenizer "$tok" --out "$out/tiny-bert" --seed 11 --int8 $int8
# shellcheck disable=SC2086
"$py" "$gen" generate --arch xlmr --tokenizer "$tok" --out "$out/tiny-xlmr" --seed 12 \
  --pooling cls --normalize --prompts e5 --int8 $int8
"$py" "$gen" generate --arch bert --tokenizer "$tok" --out "$out/tiny-bert-vocab1000" --seed 13 \
  --vocab-size 1000 --int8
"$py" "$gen" generate --arch bert --tokenizer "$tok" --out "$out/tiny-bert-renamed-input" --seed 14 \
  --rename-input token_type_ids=segment_ids --int8
"$py" "$src/tools/modelgen/corpus.py" --jsick "$jsick" --out "$out/corpus.txt"

command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup.sh)"
[ -d "$node_modules/@anush008/tokenizers" ] && [ -d "$node_modules/onnxruntime-node" ] ||
  skip "Node reference modules missing in $node_modules (run scripts/setup.sh)"
node "$src/tests/model/ref/embed_ref.mjs" cases --node-modules "$node_modules" \
  --cases "$src/tests/data/model/embed_cases.json" --corpus "$out/corpus.txt" --models "$out" \
  --out "$out/ref_node.json"
for m in tiny-bert tiny-xlmr; do
  "$py" "$gen" reference --model "$out/$m" --model-name "$m" --ids "$out/ref_node.json" \
    --out "$out/expected_$m.json"
done
echo "$version" > "$out/stamp"
