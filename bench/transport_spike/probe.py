#!/usr/bin/env python3
"""Probes a spike server on 127.0.0.1:PORT (pid PID) for the behaviours the
transport needs; prints one markdown row of results.
   probe.py NAME PORT PID"""
import resource
import socket
import sys
import time
import urllib.error
import urllib.request

name, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))


def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def read_all(s, timeout=2.0):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


# 1. smuggling: a GET whose Content-Length body is a second request
inner = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner)
answers = read_all(s, 1.0).count(b"HTTP/1.")
s.close()
smuggling = "1 response" if answers == 1 else f"{answers} responses"

# 2. 10 MB body: does urllib read the 413?
readable = 0
for _ in range(10):
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/echo", data=b"x" * (10 << 20)),
                               timeout=10)
    except urllib.error.HTTPError as e:
        readable += e.code == 413
    except Exception:
        pass

# 3. slowloris: one header byte per second; how long does the slot live?
s = socket.create_connection(("127.0.0.1", port))
start = time.time()
held = 0.0
for ch in b"GET /healthz HTTP/1.1\r\nX-a: " + b"b" * 40:
    try:
        s.send(bytes([ch]))
        s.settimeout(1.0)
        if s.recv(1, socket.MSG_PEEK) == b"":
            break
    except socket.timeout:
        pass
    except OSError:
        break
    held = time.time() - start
    if held > 25:
        break
s.close()
slowloris = f"closed after {held:.0f} s" if held <= 25 else "held > 25 s"

# 4. HTTP/1.0 keep-alive honoured?
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
time.sleep(0.2)
first = s.recv(65536)
try:
    s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    second = read_all(s, 1.0)
except OSError:
    second = b""
s.close()
http10 = "yes" if first.startswith(b"HTTP/1.") and second.startswith(b"HTTP/1.") else "no"

# 5. 5,000 idle connections, 50 from each of 100 loopback addresses: memory
before = rss_kb()
idle = []
for i in range(5000):
    try:
        c = socket.socket()
        c.bind((f"127.0.1.{10 + i // 50}", 0))
        c.connect(("127.0.0.1", port))
        idle.append(c)
    except OSError:
        break
time.sleep(1.0)
after = rss_kb()
alive = 0
for c in idle:
    c.setblocking(False)
    try:
        alive += c.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
for c in idle:
    c.close()
print(f"| {name} | {smuggling} | {readable}/10 | {slowloris} | {http10} | {alive} of 5000 held, "
      f"+{(after - before) / 1024:.1f} MB |")
