#!/bin/sh
# Two builds of imi serve side by side in the same run (e.g. the transport
# before and after a change): GET /healthz, one short query (GET /embed?q=)
# and 32-text batches (POST /embed) with wrk at concurrency 1, 8 and 64, each
# row measured on build A then build B, so both see the same machine load.
# Same model and inputs as bench/serve.sh.
#   bench/serve_compare.sh BUILD_A BUILD_B [MODEL_DIR] [SECONDS per run (default 10)]
# Example: the transport before this change, built from its parent commit:
#   git worktree add /tmp/imi-old HEAD~1 && cmake -S /tmp/imi-old -B /tmp/imi-old/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release -DIMI_BUILD_TESTS=OFF && ninja -C /tmp/imi-old/build imi
#   bench/serve_compare.sh /tmp/imi-old/build build
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
model=${3:-$root/build/bench-embed/minilm-l12-full}
seconds=${4:-10}
shared=$root/../shared
py=/usr/bin/python3
work=$root/build/bench-serve-compare
mkdir -p "$work"
command -v wrk >/dev/null || { echo "bench/serve_compare.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [ ! -f "$model/onnx/model.onnx" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch bert --size full --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$model" >&2
fi
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$work" <<'PY'
import json, sys, urllib.parse
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
seen = []
for r in rows:
    for s in (r["sentence1"], r["sentence2"]):
        if s not in seen:
            seen.append(s)
out = sys.argv[2]
with open(out + "/queries.txt", "w") as f:
    for s in [s for s in seen if len(s) <= 20][:500]:
        f.write(urllib.parse.quote(s) + "\n")
with open(out + "/bodies.txt", "w") as f:
    for i in range(0, 32 * 60, 32):
        f.write(json.dumps({"texts": seen[i:i + 32]}, ensure_ascii=False) + "\n")
PY

start() {  # $1 build dir, $2 port, $3 log
  "$1/imi" serve --model "$model" --host 127.0.0.1 --port "$2" --no-access-log 2> "$3" &
  i=0
  until grep -q "ready on" "$3"; do
    i=$((i + 1)); [ $i -lt 1200 ] || { cat "$3" >&2; exit 1; }; sleep 0.1
  done
}
start "$a" 18491 "$work/a.err"
pid_a=$!
start "$b" 18492 "$work/b.err"
pid_b=$!
trap 'kill $pid_a $pid_b 2>/dev/null || true' EXIT

echo "A: $a ($("$a/imi" version | sed -n 2p)); B: $b ($("$b/imi" version | sed -n 2p))"
echo "model: $model; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; wrk -t1, ${seconds}s per row; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | concurrency | A req/s | B req/s | B/A | A p50 ms | B p50 ms | A p99 ms | B p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|"
ms() { echo "$1" | awk '/us$/{sub("us","");printf "%.2f",$1/1000;next} /ms$/{sub("ms","");printf "%.2f",$1;next} /s$/{sub("s","");printf "%.0f",$1*1000}'; }
measure() {  # $1 port, $2 lua or "", $3 data, $4 connections, $5 path -> "rps p50 p99"
  if [ -n "$2" ]; then
    wrk -t1 -c"$4" -d"${seconds}s" --timeout 30s --latency -s "$root/bench/serve/$2" "http://127.0.0.1:$1" \
      -- "$work/$3" > "$work/wrk.txt" 2>&1
  else
    wrk -t1 -c"$4" -d"${seconds}s" --timeout 30s --latency "http://127.0.0.1:$1$5" > "$work/wrk.txt" 2>&1
  fi
  if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  echo "$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk.txt") $(ms "$(awk '$1=="50%"{print $2}' "$work/wrk.txt")") $(ms "$(awk '$1=="99%"{print $2}' "$work/wrk.txt")")"
}
row() {  # $1 label, $2 lua, $3 data, $4 connections, $5 path
  set -- "$1" "$2" "$3" "$4" "$5" $(measure 18491 "$2" "$3" "$4" "$5") $(measure 18492 "$2" "$3" "$4" "$5")
  echo "| $1 | $4 | $6 | $9 | $(echo "$6 $9" | awk '{printf "%.2f", $2/$1}') | $7 | ${10} | $8 | ${11} |"
}
for c in 1 64; do row "GET /healthz" "" "" "$c" /healthz; done
for c in 1 8 64; do row "1 short query (GET /embed?q=)" single.lua queries.txt "$c" ""; done
for c in 1 8 64; do row "32 texts (POST /embed)" batch.lua bodies.txt "$c" ""; done
