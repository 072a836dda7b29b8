#!/bin/sh
# Cold start and memory of `imi serve` under the original service's Cloud Run
# settings, this build beside a baseline binary in the same run.
#   bench/coldstart.sh [BUILD_DIR (default build)] [BASELINE_IMI] [SECONDS for the memory run, default 60]
# Model: the full-size generated paraphrase-multilingual-MiniLM-L12-v2 shape
# (tools/modelgen, seed 7; bench/embed.sh's model, generated when missing)
# with a tokenizer.json the size of XLM-R's own (250,002 pieces, ~19 MB;
# bench/coldstart/xlmr_sized_tokenizer.py). Prints two tables:
#  1. cold start (bench/coldstart/coldstart.py): ready, CPU to ready, first
#     request vs steady p50, for INT8 and FP32;
#  2. memory: INT8 (and FP32 for this build), 1 CPU (taskset), 10 connections
#     each posting 32 texts (wrk, bench/serve/batch.lua) for SECONDS: peak RSS
#     (VmHWM) of the server at ready and after the run.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
baseline=${2:-}
seconds=${3:-60}
shared=$root/../shared
py=/usr/bin/python3
work=$build/bench-coldstart
base_model=$build/bench-embed/minilm-l12-full
model=$work/minilm-l12-xlmr-tokenizer
mkdir -p "$work"
command -v wrk >/dev/null || { echo "bench/coldstart.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

if [ ! -f "$base_model/onnx/model.onnx" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch bert --size full --seed 7 \
    --tokenizer "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" --out "$base_model" >&2
fi
# The same model with the XLM-R-sized tokenizer; the ONNX files are linked.
if [ ! -f "$model/tokenizer.json" ]; then
  mkdir -p "$model/onnx"
  (cd "$base_model" && find . -type f ! -path './onnx/*' ! -name tokenizer.json | while read -r f; do
    mkdir -p "$model/$(dirname "$f")" && cp "$f" "$model/$f"; done)
  for f in "$base_model"/onnx/*.onnx; do ln -sf "$f" "$model/onnx/$(basename "$f")"; done
  "$py" "$root/bench/coldstart/xlmr_sized_tokenizer.py" \
    "$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" "$model/tokenizer.json" >&2
fi

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
set -- --binary "this=$build/imi"
[ -n "$baseline" ] && set -- --binary "baseline=$baseline" "$@"
"$py" "$root/bench/coldstart/coldstart.py" --model "$model" "$@"

# Memory: INT8 under Cloud Run's settings (1 CPU, concurrency 10, 32 texts per request).
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$work/bodies.txt" <<'PY'
import json, sys
seen = []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    for s in (r["sentence1"], r["sentence2"]):
        if s not in seen:
            seen.append(s)
with open(sys.argv[2], "w") as f:
    for i in range(0, 32 * 60, 32):
        f.write(json.dumps({"texts": seen[i:i + 32]}, ensure_ascii=False) + "\n")
PY
echo
echo "| binary | variant | CPUs | connections | texts per request | seconds | requests | texts/s | RSS at ready MB | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
port=18650
for spec in ${baseline:+baseline=$baseline:int8} "this=$build/imi:int8" "this=$build/imi:fp32"; do
  name=${spec%%=*} rest=${spec#*=}
  bin=${rest%:*} variant=${rest##*:}
  # The default cache setting and no cache present (coldstart.py removed it):
  # a new instance's first start without a baked graph.
  taskset -c 0 "$bin" serve --model "$model" --variant "$variant" --threads 1 --host 127.0.0.1 --port $port \
    --no-access-log 2> "$work/serve.err" &
  pid=$!
  i=0
  until grep -q "ready on" "$work/serve.err"; do
    i=$((i + 1)); [ $i -lt 3000 ] || { cat "$work/serve.err" >&2; kill $pid; exit 1; }; sleep 0.1
  done
  at_ready=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  wrk -t2 -c10 -d"${seconds}s" --timeout 60s -s "$root/bench/serve/batch.lua" "http://127.0.0.1:$port" \
    -- "$work/bodies.txt" > "$work/wrk.txt" 2>&1
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  kill -TERM $pid; wait $pid || true
  if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  reqs=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk.txt")
  echo "| $name | $variant | 1 | 10 | 32 | $seconds | $reqs | $(echo "$rps" | awk '{printf "%.0f", $1 * 32}') | $at_ready | $hwm |"
  port=$((port + 1))
done
