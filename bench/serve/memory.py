#!/usr/bin/env python3
"""Peak resident memory of one `imi serve` under one workload, from /proc.
    memory.py IMI MODEL WORKLOAD MEGABYTES COUNT
WORKLOAD: junk    COUNT concurrent bodies of MEGABYTES of `{}` in a field the
                  route does not read (POST /v1/embeddings)
          text    COUNT concurrent texts of MEGABYTES (one string, POST /v1/embeddings)
          upsert  COUNT concurrent one-document upserts of MEGABYTES of Japanese text
Prints: baseline MB (model loaded), peak MB (VmHWM), MB still resident 2 s
after the last response, seconds, and the statuses seen."""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

imi, model, workload, megabytes, count = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
size = int(megabytes * 1e6)
store = tempfile.mkdtemp(prefix="imi-bench-memory.")
proc = subprocess.Popen([imi, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", "--no-access-log",
                         "--store", store], stderr=subprocess.PIPE, text=True)
port = None
for line in proc.stderr:
    if "ready on http://127.0.0.1:" in line:
        port = int(line.split("ready on http://127.0.0.1:")[1].split()[0])
        break
if port is None:
    sys.exit("imi serve did not start")
threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()


def status_kb(field):
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])


def post(path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except OSError as e:
        return type(e).__name__


if workload == "upsert":
    post("/collections", b'{"name":"docs"}')
unit = "東京都羽村市の公式ホームページです。ごみの出し方と図書館の開館時間について説明します。\n"
text = unit * max(1, int(size / len(unit.encode())))
bodies = []
for i in range(count):
    if workload == "junk":
        junk = "{}," * ((size - 40) // 3) + "{}"
        bodies.append(("/v1/embeddings", ('{"input":"a","junk":[' + junk + "]}").encode()))
    elif workload == "text":
        bodies.append(("/v1/embeddings", json.dumps({"input": text}, ensure_ascii=False).encode()))
    else:
        doc = {"documents": [{"id": f"d{i}", "text": text}]}
        bodies.append(("/collections/docs/documents", json.dumps(doc, ensure_ascii=False).encode()))
baseline = status_kb("VmHWM")
statuses = collections.Counter()
lock = threading.Lock()


def one(path, body):
    s = post(path, body)
    with lock:
        statuses[s] += 1


start = time.time()
threads = [threading.Thread(target=one, args=b) for b in bodies]
for t in threads:
    t.start()
for t in threads:
    t.join()
seconds = time.time() - start
time.sleep(2)
peak, after = status_kb("VmHWM"), status_kb("VmRSS")
proc.send_signal(signal.SIGKILL)
proc.wait()
shutil.rmtree(store, ignore_errors=True)
print(f"{baseline / 1024:.0f} {peak / 1024:.0f} {after / 1024:.0f} {seconds:.1f} "
      + ",".join(f"{k}x{v}" for k, v in sorted(statuses.items(), key=str)))
