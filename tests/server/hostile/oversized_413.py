#!/usr/bin/env python3
"""Posts a body over imi serve's payload limit with Python's urllib, ROUNDS
times, and prints how many times the client read the 413 and its JSON error
(as opposed to a broken pipe or a reset), then one line per other outcome.
   oversized_413.py PORT [ROUNDS] [MEGABYTES]"""
import json
import sys
import urllib.error
import urllib.request

port = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
size = int(float(sys.argv[3]) * (1 << 20)) if len(sys.argv) > 3 else 10 << 20
body = b'{"input":"' + b"x" * size + b'"}'
read = 0
other = []
for _ in range(rounds):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/embeddings", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            other.append(f"status {response.status}")
    except urllib.error.HTTPError as e:
        message = json.loads(e.read()).get("error", {}).get("message", "")
        if e.code == 413 and message:
            read += 1
        else:
            other.append(f"status {e.code}: {message}")
    except Exception as e:  # what the issue saw: BrokenPipeError, ConnectionResetError
        other.append(f"{type(e).__name__}: {e}")
print(f"{read}/{rounds}")
for line in other:
    print(line)
