#!/bin/sh
# CTest entry of the browser test (label browser): makes the tiny test model
# (shared with the serve tests, under their lock) and runs search_page.mjs.
#   run_search_page.sh SOURCE_DIR BINARY_DIR
# Exits 77 (skipped) when node, Chromium, playwright-core or the shared
# tokenizer is missing.
set -eu
src=$1 bin=$2
command -v node >/dev/null 2>&1 || { echo "skipped: node is not installed"; exit 77; }
fixtures="$bin/serve-fixtures"
mkdir -p "$fixtures"
flock "$bin/serve-fixtures.lock" sh "$src/tests/server/make_serve_model.sh" "$fixtures" "$src" "$src/../shared"
if [ -f "$fixtures/skip.txt" ]; then
  echo "skipped: $(cat "$fixtures/skip.txt")"
  exit 77
fi
exec node "$src/tests/browser/search_page.mjs" --imi "$bin/imi" --source "$src" --model "$fixtures/tiny-bert" \
  --work "$bin/browser-test" --node-modules "$src/.deps/clients/node_modules" --screenshots "$bin/browser-test-screenshots"
