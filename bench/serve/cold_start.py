#!/usr/bin/env python3
"""Cold start of `imi serve`: from exec to the first successful GET /embed, in ms.
    cold_start.py IMI MODEL PORT [RUNS]   (prints one line per run, then the median)"""
import http.client
import signal
import statistics
import subprocess
import sys
import time

imi, model, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
query = "/embed?q=%E3%83%99%E3%83%AB%E3%83%9E%E3%83%B3%E3%83%95%E3%82%A9%E3%83%BC%E3%83%89"
times = []
for _ in range(runs):
    start = time.monotonic()
    proc = subprocess.Popen([imi, "serve", "--model", model, "--host", "127.0.0.1", "--port", str(port),
                             "--no-access-log"], stderr=subprocess.DEVNULL)
    ms = None
    while time.monotonic() - start < 60:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", query)
            if conn.getresponse().status == 200:
                ms = (time.monotonic() - start) * 1000
                break
        except OSError:
            pass
        time.sleep(0.002)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    if ms is None:
        sys.exit("imi serve did not answer within 60 s")
    times.append(ms)
    print(f"cold start run: {ms:.0f} ms", file=sys.stderr)
print(f"{statistics.median(times):.0f}")
