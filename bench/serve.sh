#!/bin/sh
# imi serve under load: requests/s and p50/p99 latency at concurrency 1, 8
# and 64 for single short Japanese queries (GET /embed?q=) and for 32-text
# batches (POST /embed), with wrk; cold start (exec to first successful
# /embed); and `imi embed`'s batched throughput on the same sentences for
# comparison. Full-size INT8 generated model (paraphrase-multilingual-MiniLM-
# L12-v2 shape, tools/modelgen), variant chosen for this CPU.
#   bench/serve.sh [BUILD_DIR (default build)] [MODEL_DIR] [SECONDS per run (default 10)]
# IMI_SERVE_FLAGS adds flags to the measured server, e.g.
#   IMI_SERVE_FLAGS='--max-batch-tokens 1024' bench/serve.sh build
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seconds=${3:-10}
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
work=$build/bench-serve
model=${2:-$build/bench-embed/minilm-l12-full}
port=${PORT:-18480}
mkdir -p "$work"
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

if [ ! -f "$model/onnx/model.onnx" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch bert --size full --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$model" >&2
fi

# Inputs from JSTS: short queries (<= 20 characters) and 32-sentence bodies.
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$work" <<'PY'
import json, sys, urllib.parse
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
seen = []
for r in rows:
    for s in (r["sentence1"], r["sentence2"]):
        if s not in seen:
            seen.append(s)
out = sys.argv[2]
short = [s for s in seen if len(s) <= 20][:500]
with open(out + "/queries.txt", "w") as f:
    for s in short:
        f.write(urllib.parse.quote(s) + "\n")
with open(out + "/bodies.txt", "w") as f:
    for i in range(0, 32 * 60, 32):
        f.write(json.dumps({"texts": seen[i:i + 32]}, ensure_ascii=False) + "\n")
with open(out + "/sentences.txt", "w") as f:
    for s in seen[:32 * 60]:
        f.write(s + "\n")
PY

echo "model: $model (variant chosen for this CPU); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; wrk runs ${seconds}s per row with 1 thread on the same machine"
echo

cold=$("$py" "$root/bench/serve/cold_start.py" "$imi" "$model" "$port" 3)

"$imi" embed --model "$model" --format f32 < "$work/sentences.txt" > /dev/null 2> "$work/embed.err"
embed_sps=$(grep "inputs/s" "$work/embed.err" | sed 's/.*(\([0-9.]*\) inputs\/s.*/\1/')

# shellcheck disable=SC2086 # IMI_SERVE_FLAGS is a list of flags
"$imi" serve ${IMI_SERVE_FLAGS:-} --model "$model" --host 127.0.0.1 --port "$port" --no-access-log 2> "$work/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
i=0
until grep -q "ready on" "$work/serve.err"; do
  i=$((i + 1)); [ $i -lt 600 ] || { cat "$work/serve.err" >&2; exit 1; }; sleep 0.1
done
grep "ready on" "$work/serve.err" | sed 's/^/# /'
echo

echo "| workload | concurrency | requests/s | texts/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
# $1 label, $2 lua, $3 data, $4 texts per request, $5 connections
run() {
  wrk -t1 -c"$5" -d"${seconds}s" --timeout 30s --latency -s "$root/bench/serve/$2" "http://127.0.0.1:$port" \
    -- "$work/$3" > "$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; exit 1; }
  if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  ms() { echo "$1" | awk '/us$/{sub("us","");printf "%.2f",$1/1000;next} /ms$/{sub("ms","");printf "%.2f",$1;next} /s$/{sub("s","");printf "%.0f",$1*1000}'; }
  tps=$(echo "$rps $4" | awk '{printf "%.0f", $1*$2}')
  echo "| $1 | $5 | $rps | $tps | $(ms "$p50") | $(ms "$p99") |"
  echo "$5 $tps" >> "$work/throughput_$2.txt"
}
rm -f "$work"/throughput_*.txt
for c in 1 8 64; do run "1 short query (GET /embed?q=)" single.lua queries.txt 1 "$c"; done
for c in 1 8 64; do run "32 texts (POST /embed)" batch.lua bodies.txt 32 "$c"; done

kill -TERM $serve_pid
wait $serve_pid 2>/dev/null || true
trap - EXIT
batch64=$(awk '$1==64{print $2}' "$work/throughput_batch.lua.txt")
echo
echo "cold start (exec to first successful GET /embed, median of 3): ${cold} ms"
echo "imi embed, same 1920 sentences, length-sorted batches: ${embed_sps} texts/s;" \
  "serve at concurrency 64 with 32-text batches: ${batch64} texts/s" \
  "($(echo "$batch64 $embed_sps" | awk '{printf "%.0f", 100*$1/$2}')%)"
