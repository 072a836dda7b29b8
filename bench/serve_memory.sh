#!/bin/sh
# Memory per request of imi serve, for two builds in the same run (e.g. the
# transport before and after a change): peak resident memory (VmHWM) and what
# stays resident afterwards, for concurrent bodies of growing size. One fresh
# server per row (bench/serve/memory.py). Models: the hostile suite's
# 384-dimensional one for bodies the route does not read; the 32-dimensional
# test model for texts and upserts, whose cost is tokenising and copying, not
# the model.
#   bench/serve_memory.sh BUILD_A BUILD_B
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
fixtures=$root/build/serve-fixtures
for name in tiny-bert bert-384; do
  sh "$root/tests/server/make_serve_model.sh" "$fixtures" "$root" "$root/../shared" "$name"
done
echo "A: $a ($("$a/imi" version | sed -n 2p)); B: $b ($("$b/imi" version | sed -n 2p)); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | model | MB each | concurrent | A peak MB | B peak MB | A after MB | B after MB | A statuses | B statuses |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row() {  # $1 workload, $2 model name, $3 MB, $4 count
  set -- "$1" "$2" "$3" "$4" $(/usr/bin/python3 "$root/bench/serve/memory.py" "$a/imi" "$fixtures/$2" "$1" "$3" "$4") \
    $(/usr/bin/python3 "$root/bench/serve/memory.py" "$b/imi" "$fixtures/$2" "$1" "$3" "$4")
  echo "| $1 | $2 | $3 | $4 | $6 (model $5) | ${11} (model ${10}) | $7 | ${12} | $9 | ${14} |"
}
for mb in 0.5 1 1.9; do row junk bert-384 "$mb" 64; done
row text tiny-bert 1.9 8
row upsert tiny-bert 1.9 1
row upsert tiny-bert 1.9 8
