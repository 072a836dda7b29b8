#!/bin/sh
# Builds the three transport spikes (Boost.Beast, libmicrohttpd, h2o) from
# Debian's packages, probes each for the behaviours imi's transport needs
# (probe.py) and measures GET /healthz with wrk at concurrency 1 and 64.
# Results and the choice: docs/transport.md.
#   bench/transport_spike/run.sh [SECONDS per wrk run (default 5)]
# Needs libboost-dev, libmicrohttpd-dev, libh2o-evloop-dev and wrk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-5}
out=${TMPDIR:-/tmp}/imi-transport-spike
mkdir -p "$out"
g++ -std=c++20 -O2 -o "$out/beast" "$here/beast_spike.cc" -pthread
gcc -O2 -o "$out/mhd" "$here/mhd_spike.c" $(pkg-config --cflags --libs libmicrohttpd)
gcc -O2 -DH2O_USE_LIBUV=0 -o "$out/h2o" "$here/h2o_spike.c" $(pkg-config --cflags --libs libh2o-evloop)
ulimit -n 20000
echo "| library | smuggling | 10 MB body: urllib reads 413 | slowloris, 1 header byte/s | HTTP/1.0 keep-alive | idle connections |"
echo "|---|---|---|---|---|---|"
port=18611
for lib in beast mhd h2o; do
  "$out/$lib" $port 2>"$out/$lib.err" &
  pid=$!
  sleep 0.5
  python3 "$here/probe.py" "$lib" $port $pid
  kill $pid; wait $pid 2>/dev/null || true
  port=$((port + 1))
done
echo
echo "| library | concurrency | requests/s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
for lib in beast mhd h2o; do
  "$out/$lib" $port 2>"$out/$lib.err" &
  pid=$!
  sleep 0.5
  for c in 1 64; do
    wrk -t1 -c$c -d${seconds}s --latency "http://127.0.0.1:$port/healthz" > "$out/wrk.txt"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out/wrk.txt")
    p50=$(awk '$1=="50%"{print $2}' "$out/wrk.txt")
    p99=$(awk '$1=="99%"{print $2}' "$out/wrk.txt")
    echo "| $lib | $c | $rps | $p50 | $p99 |"
  done
  kill $pid; wait $pid 2>/dev/null || true
  port=$((port + 1))
done
