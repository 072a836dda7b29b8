#!/bin/sh
# Memory and time of one long input (bench/README.md, "Long inputs"): `imi
# embed` of one long line and `imi index` of one long .txt document, for a
# baseline binary and the current one in the same run, with the tiny
# generated test model (tokenisation and chunking dominate; inference is cut
# to 128 tokens per vector). Prints wall seconds and peak RSS per run.
#   bench/long_input.sh BASELINE_IMI [IMI (default build/imi)]
# BASELINE_IMI is a build of an earlier commit, e.g.
#   git worktree add /tmp/imi-base <commit> && cmake -S /tmp/imi-base -B /tmp/imi-base/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release && ninja -C /tmp/imi-base/build imi
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
base=$1
imi=${2:-$root/build/imi}
py=/usr/bin/python3
work=$root/build/bench-long
mkdir -p "$work"
sh "$root/tests/server/make_serve_model.sh" "$work/fixture" "$root" "$root/../shared"
model=$work/fixture/tiny-bert

# One line (and one document) of N bytes of Japanese text without newlines.
"$py" - "$root/tests/data/store/city" "$work" <<'PY'
import json, os, sys
city, work = sys.argv[1], sys.argv[2]
text = ""
for line in open(os.path.join(city, "notices.jsonl"), encoding="utf-8"):
    text += json.loads(line)["text"]
for mb in (2, 20):
    n = mb * 1000 * 1000
    body = (text * (n // len(text.encode()) + 1)).encode()[:n].decode("utf-8", "ignore")
    open(os.path.join(work, f"line-{mb}mb.txt"), "w", encoding="utf-8").write(body + "\n")
    os.makedirs(os.path.join(work, f"doc-{mb}mb"), exist_ok=True)
    open(os.path.join(work, f"doc-{mb}mb", "doc.txt"), "w", encoding="utf-8").write(body)
PY

# Runs a command; prints "<label> <seconds> s <peak RSS> MiB exit <code>".
run() {
  label=$1
  shift
  "$py" - "$label" "$@" <<'PY'
import os, subprocess, sys, time
label, stdin_path, *cmd = sys.argv[1:]
start = time.monotonic()
with open(stdin_path, "rb") as stdin:
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
seconds = time.monotonic() - start
print(f"{label:<40} {seconds:8.2f} s {usage.ru_maxrss / 1024:9.1f} MiB  exit {os.waitstatus_to_exitcode(status)}")
PY
}

# The baseline knows neither --max-line-bytes nor --max-document-bytes (and
# had no limits); the current binary is run with its limits above 20 MB.
for mb in 2 20; do
  run "embed ${mb} MB line, baseline" "$work/line-${mb}mb.txt" "$base" embed --model "$model"
  run "embed ${mb} MB line, current" "$work/line-${mb}mb.txt" "$imi" embed --model "$model" --max-line-bytes 30000000
done
for mb in 2 20; do
  rm -rf "$work/store"
  run "index ${mb} MB document, baseline" /dev/null "$base" index --collection c --store "$work/store" \
    --model "$model" "$work/doc-${mb}mb"
  rm -rf "$work/store"
  run "index ${mb} MB document, current" /dev/null "$imi" index --collection c --store "$work/store" \
    --model "$model" --max-document-bytes 30000000 "$work/doc-${mb}mb"
done
