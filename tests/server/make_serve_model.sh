#!/bin/sh
# Generates the tiny model the black-box serve tests use, into OUT_DIR, once
# (stamp file; callers hold a lock). When a prerequisite is missing it writes
# the reason to OUT_DIR/skip.txt and exits 0.
#   make_serve_model.sh OUT_DIR SOURCE_DIR SHARED_DIR
set -eu
out=$1 src=$2 shared=$3
mkdir -p "$out"
[ -f "$out/stamp" ] && exit 0
rm -f "$out/skip.txt"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import onnx, numpy' 2>/dev/null || { echo "python3-onnx / python3-numpy are not installed (run scripts/setup.sh)" > "$out/skip.txt"; exit 0; }
tok="$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
[ -f "$tok" ] || { echo "shared tokenizer $tok is missing" > "$out/skip.txt"; exit 0; }
"$py" "$src/tools/modelgen/modelgen.py" generate --arch bert --tokenizer "$tok" --out "$out/tiny-bert" --seed 21 >/dev/null
touch "$out/stamp"
