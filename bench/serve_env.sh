#!/bin/sh
# Throughput and peak RSS of `imi serve` under one environment setting
# (e.g. glibc malloc variables), on the cold-start bench's model and bodies:
#   bench/serve_env.sh [BUILD_DIR (default build)] [SECONDS (default 20)] [VAR=VALUE ...]
# INT8, both CPUs, wrk with 10 connections each posting 32 JSTS sentences
# (bench/coldstart.sh makes the model and build/bench-coldstart/bodies.txt;
# run it first). Prints one line: the setting, texts/s, mean latency, peak RSS.
# Alternate settings over several runs: run-to-run noise is about ±10 %.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seconds=${2:-20}
[ $# -ge 2 ] && shift 2 || shift $#
model=$build/bench-coldstart/minilm-l12-xlmr-tokenizer
bodies=$build/bench-coldstart/bodies.txt
[ -f "$bodies" ] || { echo "bench/serve_env.sh: run bench/coldstart.sh first (no $bodies)" >&2; exit 1; }
port=18680
err=$(mktemp) wrk_out=$(mktemp)
env "$@" "$build/imi" serve --model "$model" --variant int8 --host 127.0.0.1 --port $port --no-access-log 2> "$err" &
pid=$!
until grep -q "ready on" "$err"; do sleep 0.1; done
wrk -t2 -c10 -d"${seconds}s" --timeout 60s -s "$root/bench/serve/batch.lua" "http://127.0.0.1:$port" -- "$bodies" > "$wrk_out" 2>&1
hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
kill -TERM $pid; wait $pid || true
rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$wrk_out")
lat=$(awk '/Latency/ {print $2; exit}' "$wrk_out")
echo "${*:-default}: texts/s $(echo "$rps" | awk '{printf "%.0f", $1 * 32}'), mean latency $lat, peak RSS $hwm MB"
rm -f "$err" "$wrk_out"
