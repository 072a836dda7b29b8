#!/usr/bin/env python3
"""Cold start of `imi serve`, two binaries side by side in one run.

    coldstart.py --model DIR --binary NAME=PATH [--binary NAME=PATH ...] [--runs 5] [--port 18600]

For every binary and variant (int8, fp32): starts `imi serve` RUNS+1 times
(the first start may build caches and is reported apart as "first"), and
measures, from exec: ready = first /healthz 200; the CPU time the process
used until then (user + sys, from /proc: on a shared machine wall time
mostly measures the others) and its peak RSS (VmHWM); first = latency of the first GET /embed after
ready; p50 = median of 100 further GET /embed; and the start-up breakdown the
ready line prints. Prints a Markdown table of medians."""
import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

QUERY = "/embed?q=" + urllib.parse.quote("ベルマンフォード法の計算量")
TICK = os.sysconf("SC_CLK_TCK")


def get(port, path, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def cpu_ms(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICK


def hwm_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def one_start(binary, model, variant, port, extra):
    env = dict(os.environ)
    start = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--model", model, "--variant", variant, "--host", "127.0.0.1",
                             "--port", str(port), "--no-access-log", *extra],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    ready = None
    cpu = None
    hwm = None
    while time.monotonic() - start < 300:
        try:
            if get(port, "/healthz", timeout=5) == 200:
                ready = (time.monotonic() - start) * 1000
                cpu = cpu_ms(proc.pid)
                hwm = hwm_mb(proc.pid)
                break
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.002)
    if ready is None:
        proc.kill()
        sys.exit(f"{binary} did not become ready: {proc.stderr.read()[-2000:]}")
    t = time.monotonic()
    get(port, QUERY)
    first = (time.monotonic() - t) * 1000
    steady = []
    for _ in range(100):
        t = time.monotonic()
        get(port, QUERY)
        steady.append((time.monotonic() - t) * 1000)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    line = next((l for l in err.splitlines() if "ready on" in l), "")
    parts = {}
    # "tokenizer N" is followed by " from cache" or ", cached" when the
    # binary has the tokenizer cache (older binaries print neither).
    m = re.search(r"\(tokenizer (\d+)( from cache)?(?:, cached)?, model hash (\d+), session (\d+)([^)]*?), "
                  r"warm-up (\d+)\)", line)
    if m:
        parts = {"tokenizer": int(m.group(1)), "tok_cached": bool(m.group(2)), "hash": int(m.group(3)),
                 "session": int(m.group(4)), "cached": "cached graph" in m.group(5), "warmup": int(m.group(6))}
    return {"ready": ready, "cpu": cpu, "hwm": hwm, "first": first, "p50": statistics.median(steady), "parts": parts}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--binary", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--variants", default="int8,fp32")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=18600)
    args = parser.parse_args()
    cache = os.path.join(args.model, "onnx", ".imi-cache")
    print("| binary | variant | start | ready ms | CPU ms to ready | peak RSS MB at ready | first request ms | "
          "steady p50 ms | first / p50 | tokenizer / hash / session / warm-up ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for variant in args.variants.split(","):
        for spec in args.binary:
            name, binary = spec.split("=", 1)
            shutil.rmtree(cache, ignore_errors=True)  # every binary starts without a cache
            # Builds whose --ort-cache has "write" only read a cache by default:
            # the first start writes it, the warm ones use the default (what
            # `imi serve` does in a container). Older builds wrote it with the
            # default "auto", the oldest have no cache at all.
            help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
            extra = ["--ort-cache", "write"] if re.search(r"--ort-cache[^\n]*\n?[^\n]*write", help_text) else []
            runs = [one_start(binary, args.model, variant, args.port, extra if i == 0 else [])
                    for i in range(args.runs + 1)]
            first_start, warm = runs[0], runs[1:]
            for label, rows in (("first (no cache)", [first_start]), (f"warm, median of {len(warm)}", warm)):
                med = {k: statistics.median(r[k] for r in rows) for k in ("ready", "cpu", "hwm", "first", "p50")}
                p = rows[len(rows) // 2]["parts"]
                parts = (f"{p['tokenizer']}{' (cached)' if p['tok_cached'] else ''} / {p['hash']} / "
                         f"{p['session']}{' (cached graph)' if p['cached'] else ''} / {p['warmup']}") if p else "—"
                print(f"| {name} | {variant} | {label} | {med['ready']:.0f} | {med['cpu']:.0f} | {med['hwm']:.0f} | "
                      f"{med['first']:.1f} | "
                      f"{med['p50']:.1f} | {med['first'] / med['p50']:.2f} | {parts} |", flush=True)
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
