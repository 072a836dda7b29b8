#!/bin/sh
# Ingestion through the whole pipeline (bench/README.md, "Ingestion"): `imi index`
# reads JSQuAD's Japanese Wikipedia paragraphs as .jsonl documents (title kept
# as metadata), chunks them with the model's tokenizer, embeds them with the
# full-size generated paraphrase-multilingual-MiniLM-L12-v2-shaped model (the
# variant chosen for the CPU) and writes them to the embedded store, then to
# PostgreSQL + pgvector, in the same run. Prints documents/s and tokens/s as
# `imi index` reports them, plus wall time and peak RSS.
#   bench/index.sh [BUILD_DIR (default build)] [--no-pg]   (MODEL_DIR overrides the model)
# Uses $IMI_PG_DSN if set, else starts a throw-away cluster with
# scripts/pg_test_cluster.sh. Needs ../shared/data (JGLUE).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
use_pg=1
[ "${2:-}" = "--no-pg" ] && use_pg=0
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
work=$build/bench-index
model=${MODEL_DIR:-$build/bench-embed/bert-full}   # shared with bench/embed.sh
if [ ! -d "$shared/data/jglue/jsquad" ]; then
  echo "bench/index.sh: $shared/data/jglue/jsquad is missing (the JGLUE data lives in ../shared)" >&2
  exit 1
fi
mkdir -p "$work" "$(dirname "$model")"
if [ ! -f "$model/onnx/model.onnx" ]; then
  echo "generating the full-size model into $model (a few minutes, once)" >&2
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch bert --size full --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$model" >&2
fi

# Unique paragraphs of JSQuAD valid + test as documents.
"$py" - "$shared/data/jglue/jsquad" > "$work/jsquad.jsonl" <<'PY'
import json, os, sys
seen = set()
for name in ("valid-v1.3.json", "test-v1.3.json"):
    data = json.load(open(os.path.join(sys.argv[1], name), encoding="utf-8"))["data"]
    for article in data:
        for i, p in enumerate(article["paragraphs"]):
            if p["context"] in seen:
                continue
            seen.add(p["context"])
            print(json.dumps({"id": f"{name[:-10]}-{len(seen)}", "text": p["context"],
                              "title": article["title"]}, ensure_ascii=False))
PY
docs=$(wc -l < "$work/jsquad.jsonl")
chars=$(wc -m < "$work/jsquad.jsonl")
echo "corpus: $docs JSQuAD paragraphs (valid + test, $chars characters of .jsonl); model: generated bert-full (MiniLM-L12 shape, 384 dims); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| store | documents | chunks | tokens | wall s | documents/s | tokens/s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|"

# $1 label, then imi index's store flags
run_index() {
  label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$imi" index --collection jsquad --model "$model" "$@" \
    "$work/jsquad.jsonl" > "$work/index.out" 2> "$work/index.err" || {
    echo "bench/index.sh: imi index failed:" >&2
    cat "$work/index.err" >&2
    exit 1
  }
  # "indexed D documents (C chunks, T tokens) from F files into "jsquad" in S s: X documents/s, Y tokens/s"
  "$py" - "$label" "$work/index.out" "$work/time.txt" <<'PY'
import re, sys
line = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r"indexed (\d+) documents \((\d+) chunks, (\d+) tokens\).* ([0-9.]+) documents/s, (\d+) tokens/s", line)
wall, rss = open(sys.argv[3]).read().split()[-2:]
print(f"| {sys.argv[1]} | {m[1]} | {m[2]} | {m[3]} | {wall} | {m[4]} | {m[5]} | {int(rss) // 1024} |")
PY
}

rm -rf "$work/store"
run_index "embedded (SQLite WAL + HNSW)" --store "$work/store"

if [ "$use_pg" = 1 ]; then
  pg_dir=""
  dsn=${IMI_PG_DSN:-}
  if [ -z "$dsn" ]; then
    pg_dir=$(mktemp -d /tmp/imi-pg-index.XXXXXX)
    trap 'bash "$root/scripts/pg_test_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
    dsn=$(bash "$root/scripts/pg_test_cluster.sh" start "$pg_dir")
  fi
  "$imi" collections --pg "$dsn" --delete jsquad >/dev/null 2>&1 || true
  run_index "PostgreSQL 15 + pgvector" --pg "$dsn"
  "$imi" collections --pg "$dsn" --delete jsquad >/dev/null 2>&1 || true
fi
