#!/bin/sh
# Regenerates <tokenizer>.jsonl here: for every shared tokenizer (and every
# tokenizer under tests/data/tokenizer/made/), the distinct
# words its own normalizer + pre-tokenizer make of the project corpus, and the
# ids/tokens/offsets/decoded string the reference model + decoder give each
# word (tests/tokenizer/ref/model_ref.mjs; needs scripts/setup.sh's Node
# packages and ../shared). Run from anywhere:  sh make_expected.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
shared=${IMI_SHARED_DIR:-$repo/../shared}
ref=$repo/tests/tokenizer/ref/model_ref.mjs
corpus=$repo/tests/data/tokenizer/corpus/corpus.jsonl
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for dir in "$shared"/tokenizers/*/ "$repo"/tests/data/tokenizer/made/*/; do
  name=$(basename "$dir")
  node "$ref" --pretokenize "$dir/tokenizer.json" "$corpus" > "$tmp"
  node "$ref" "$dir/tokenizer.json" "$tmp" > "$here/$name.jsonl"
  echo "$name: $(wc -l < "$here/$name.jsonl") words"
done
