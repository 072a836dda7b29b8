#!/bin/sh
# Crawl throughput (bench/README.md, "Crawling"): `imi crawl` of the sample
# city site (tools/sitegen, 271 pages to store, served on loopback by
# siteserver.py) into a fresh embedded store with the full-size generated
# paraphrase-multilingual-MiniLM-L12-v2-shaped model (the one bench/embed.sh
# and bench/index.sh use), no delay, 4 requests in flight; then, as the
# baseline in the same run, `imi index` of the same pages' main text (the
# site's own list of content lines, as .jsonl: embedding and storing only, no
# fetching or extraction). Prints pages/s of both and the crawl's own split
# of its time: fetching (summed over fetch threads), extracting (decoding and
# main text), embedding and storing.
#   bench/crawl.sh [BUILD_DIR (default build)]   (MODEL_DIR overrides the model)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
work=$build/bench-crawl
model=${MODEL_DIR:-$build/bench-embed/bert-full}
mkdir -p "$work" "$(dirname "$model")"
if [ ! -f "$model/onnx/model.onnx" ]; then
  echo "generating the full-size model into $model (a few minutes, once)" >&2
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch bert --size full --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$model" >&2
fi
"$py" "$root/tools/sitegen/sitegen.py" "$work/site" >&2
rm -f "$work/site.port"
"$py" "$root/tools/sitegen/siteserver.py" "$work/site" --port-file "$work/site.port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
i=0
while [ ! -s "$work/site.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
site="http://127.0.0.1:$(cat "$work/site.port")"

echo "== imi crawl $site/ (delay 0, concurrency 4, timeout 2 s, 1 retry)"
rm -rf "$work/crawl-store"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$imi" crawl "$site/" --collection city --store "$work/crawl-store" \
  --model "$model" --delay-ms 0 --concurrency 4 --timeout-ms 2000 --retries 1 2>"$work/crawl.err" | tee "$work/crawl.out"
tail -n 1 "$work/crawl.err"

echo "== baseline: imi index of the same pages' main text (.jsonl, no fetching or extraction)"
"$py" - "$work/site/site.json" > "$work/pages.jsonl" <<'PY'
import json, sys
for page in json.load(open(sys.argv[1], encoding="utf-8"))["pages"]:
    if page["expect"] == "stored":
        print(json.dumps({"id": page["document"], "text": "\n".join(page["content"]), "title": page["title"]},
                         ensure_ascii=False))
PY
rm -rf "$work/index-store"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$imi" index --collection city --store "$work/index-store" \
  --model "$model" "$work/pages.jsonl" 2>"$work/index.err" | tee "$work/index.out"
tail -n 1 "$work/index.err"
