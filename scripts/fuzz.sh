#!/usr/bin/env bash
# Builds and runs one libFuzzer target with clang-14 in build-fuzz/.
#
#   scripts/fuzz.sh <name> [seconds] [libFuzzer flags]   e.g. scripts/fuzz.sh normalize 60
#
# <name> is a target fuzz/<name>_fuzzer.cc registered in fuzz/CMakeLists.txt
# (imi_fuzzer). Seeds come from fuzz/seeds/<name>/ when present (html_text also
# reads tests/data/store/city/pages/, torch_state_dict tests/data/model/pt/); new inputs go to
# build-fuzz/corpus/<name>/ (outside git); a crash is written to
# build-fuzz/artifacts/<name>/ and makes this script fail. Default: 60 seconds.
# Further -flag=value arguments go to libFuzzer, e.g. -len_control=0.
set -euo pipefail

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
name="$1"
seconds="${2:-60}"
shift $(($# < 2 ? $# : 2))
extra=("$@")
# libFuzzer reads -max_total_time=0 as "no limit".
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "fuzz.sh: seconds must be a whole number of at least 1, got '$seconds'" >&2
  exit 2
fi
for flag in "${extra[@]}"; do
  if [[ "$flag" != -*=* ]]; then
    echo "fuzz.sh: after the seconds come libFuzzer flags like -len_control=0, got '$flag'" >&2
    exit 2
  fi
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
target="${name}_fuzzer"
if [[ ! -f "$root/fuzz/${target}.cc" ]]; then
  echo "fuzz.sh: no fuzzer named '$name' (expected fuzz/${target}.cc); have:" >&2
  ls "$root/fuzz" | sed -n 's/_fuzzer\.cc$//p' | sed 's/^/  /' >&2
  exit 2
fi
for tool in clang-14 clang++-14 cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: '$tool' not found; run scripts/setup.sh (installs clang-14, libclang-rt-14-dev)" >&2
    exit 2
  fi
done

# The whole tree is instrumented (fuzzer-no-link) so coverage reaches the
# libraries; only the fuzzer executables link libFuzzer's main.
# NO_MANUAL_VECTORIZATION turns off hnswlib's SSE prefetches, which read one
# link past a neighbour list (nmslib/hnswlib#107, #578; within malloc's slack,
# so harmless in production) and would stop every fuzzer that adds to an
# HNSW index at its first insert; imi's own distance kernels are unaffected.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
sanitize+=" -DNO_MANUAL_VECTORIZATION"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" \
  -DIMI_BUILD_FUZZERS=ON -DIMI_BUILD_TESTS=OFF -DIMI_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j2 "$target"

corpus="$build/corpus/$name"
artifacts="$build/artifacts/$name"
mkdir -p "$corpus" "$artifacts"
seeds=()
[[ -d "$root/fuzz/seeds/$name" ]] && seeds+=("$root/fuzz/seeds/$name")
# The shipped sample pages seed the HTML fuzzer too (not copied into fuzz/seeds).
[[ "$name" == html_text ]] && seeds+=("$root/tests/data/store/city/pages")
# The committed .pt test files seed the state-dict reader.
[[ "$name" == torch_state_dict ]] && seeds+=("$root/tests/data/model/pt")

echo "fuzz.sh: running $target for ${seconds}s (corpus $corpus)"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "${seeds[@]}"
