#!/bin/sh
# Generates a model the black-box serve tests use, into OUT_DIR/NAME, once
# (stamp file; callers hold a lock). When a prerequisite is missing it writes
# the reason to OUT_DIR/skip.txt and exits 0.
#   make_serve_model.sh OUT_DIR SOURCE_DIR SHARED_DIR [NAME]
# NAME tiny-bert (default): 2 layers, 32 dimensions. bert-384: the shape of
# paraphrase-multilingual-MiniLM-L12-v2 (12 layers, 384 dimensions) with the
# test tokenizer's 32k vocabulary, INT8 variants included, for the hostile
# suite's memory figures.
set -eu
out=$1 src=$2 shared=$3 name=${4:-tiny-bert}
mkdir -p "$out"
stamp="$out/stamp"
[ "$name" = tiny-bert ] || stamp="$out/stamp-$name"
[ -f "$stamp" ] && exit 0
rm -f "$out/skip.txt"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import onnx, numpy' 2>/dev/null || { echo "python3-onnx / python3-numpy are not installed (run scripts/setup.sh)" > "$out/skip.txt"; exit 0; }
tok="$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
[ -f "$tok" ] || { echo "shared tokenizer $tok is missing" > "$out/skip.txt"; exit 0; }
case "$name" in
  tiny-bert) size_args="" ;;
  bert-384)
    vocab=$("$py" -c 'import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))
print(max([len(t["model"]["vocab"])] + [a["id"] + 1 for a in t.get("added_tokens", [])]))' "$tok")
    size_args="--size full --vocab-size $vocab" ;;
  *) echo "make_serve_model.sh: unknown model name $name" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # size_args is a list of flags
"$py" "$src/tools/modelgen/modelgen.py" generate --arch bert $size_args --tokenizer "$tok" --out "$out/$name" --seed 21 >/dev/null
touch "$stamp"
