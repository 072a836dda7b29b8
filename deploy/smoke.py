#!/usr/bin/env python3
"""Runs an image built by deploy/image.sh without a container engine and checks it.

    deploy/smoke.py --layout build/image/oci --tag bare-amd64 [--model DIR] [--port N]

Unpacks the image with umoci, then starts its entrypoint as its configured user
and working directory with PORT set, in new mount and PID namespaces (unshare;
imi is PID 1 there, as in a container) and chroot, on a READ-ONLY root
filesystem with /tmp a tmpfs and /data a fresh directory (the VOLUME), /proc,
/sys and /dev mounted. --model is bind-mounted read-only at /models/default
with MODEL_PATH set (for the bare image); an image with a baked model needs
none. Checks: /healthz, GET and POST /embed, a collection created, filled and
searched (the store's files appear in /data), the process's user is the
image's non-root user, and SIGTERM under load drains: no request fails or is
cut, the process exits 0. An arm64 image runs through qemu-user (binfmt_misc,
deploy/arm64.sh setup). Needs root. Prints one line per check; exit 1 on the
first failure.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

IMAGE_MODEL = "/models/default"


def fail(message):
    print(f"smoke: FAILED {message}", flush=True)
    sys.exit(1)


def ok(message):
    print(f"smoke: ok   {message}", flush=True)


def launch(args):
    """Inside the new namespaces: mounts, chroot, user, exec the entrypoint."""
    spec = json.load(open(args.spec))
    root = spec["root"]

    def mount(*argv):
        subprocess.run(["mount", *argv], check=True)

    mount("--make-rprivate", "/")
    mount("--bind", root, root)
    mount("-t", "proc", "proc", f"{root}/proc")
    mount("--rbind", "/sys", f"{root}/sys")
    mount("--rbind", "/dev", f"{root}/dev")
    mount("-t", "tmpfs", "-o", "mode=1777,size=256m", "tmpfs", f"{root}/tmp")
    mount("--bind", spec["data"], f"{root}/data")
    if spec.get("model"):
        mount("--bind", spec["model"], f"{root}{IMAGE_MODEL}")
        mount("-o", "remount,bind,ro", f"{root}{IMAGE_MODEL}")
    mount("-o", "remount,bind,ro", root)  # read-only root filesystem
    os.chroot(root)
    os.chdir(spec["cwd"])
    os.setgroups([])
    os.setgid(spec["gid"])
    os.setuid(spec["uid"])
    os.execve(spec["args"][0], spec["args"], dict(e.split("=", 1) for e in spec["env"]))


class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, payload

    def json(self, method, path, body=None, want=200):
        status, payload = self.request(method, path, body)
        if status != want:
            fail(f"{method} {path}: status {status} (want {want}): {payload[:300]!r}")
        return json.loads(payload)


def host_pid_of_child(parent_pid, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            for task in os.listdir(f"/proc/{parent_pid}/task"):
                children = open(f"/proc/{parent_pid}/task/{task}/children").read().split()
                if children:
                    return int(children[0])
        except OSError:
            pass
        time.sleep(0.05)
    fail("the entrypoint process did not appear")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", help="OCI layout directory (deploy/image.sh's oci/)")
    parser.add_argument("--tag", help="image tag in the layout, e.g. bare-amd64")
    parser.add_argument("--model", help="model directory to mount at /models/default (sets MODEL_PATH)")
    parser.add_argument("--port", type=int, default=18790)
    parser.add_argument("--work", help="work directory (default: a temporary one, removed)")
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument("--expect-cached-graph", action="store_true",
                        help="the ready line must say the session came from the baked optimised graph")
    parser.add_argument("--launch", dest="spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spec:
        launch(args)
        return
    if not args.layout or not args.tag:
        parser.error("--layout and --tag are required")
    if os.geteuid() != 0:
        fail("run as root (namespaces, chroot, mounts)")

    work = args.work or tempfile.mkdtemp(prefix="imi-smoke.")
    bundle = os.path.join(work, "bundle")
    shutil.rmtree(bundle, ignore_errors=True)
    subprocess.run(["umoci", "unpack", "--image", f"{args.layout}:{args.tag}", bundle],
                   check=True, stdout=subprocess.DEVNULL)
    config = json.load(open(os.path.join(bundle, "config.json")))
    process = config["process"]
    uid, gid = process["user"]["uid"], process["user"]["gid"]
    env = dict(e.split("=", 1) for e in process["env"])
    env["PORT"] = str(args.port)
    root = os.path.join(bundle, "rootfs")
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    os.chown(data, uid, gid)
    spec = {"root": root, "data": data, "cwd": process.get("cwd") or "/", "uid": uid, "gid": gid,
            "args": process["args"] + ["--no-access-log"], "env": [f"{k}={v}" for k, v in env.items()]}
    if args.model:
        os.makedirs(root + IMAGE_MODEL, exist_ok=True)
        spec["model"] = os.path.abspath(args.model)
        spec["env"].append(f"MODEL_PATH={IMAGE_MODEL}")
    spec_path = os.path.join(work, "spec.json")
    json.dump(spec, open(spec_path, "w"))
    ok(f"{args.tag}: entrypoint {' '.join(process['args'])}, user {uid}:{gid}, cwd {spec['cwd']}, "
       f"env {' '.join(sorted(k for k in env))}")
    if uid == 0:
        fail("the image runs as root")

    log_path = os.path.join(work, "serve.log")
    log = open(log_path, "w")
    unshare = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child",
                                sys.executable, os.path.abspath(__file__), "--launch", spec_path],
                               stdout=log, stderr=log)
    try:
        run_checks(args, unshare, log_path, data, uid, gid)
    finally:
        if unshare.poll() is None:
            unshare.kill()
            unshare.wait()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def run_checks(args, unshare, log_path, data, uid, gid):
    client = Client(args.port)
    pid = host_pid_of_child(unshare.pid)
    start = time.monotonic()
    while True:
        if unshare.poll() is not None:
            fail(f"the entrypoint exited with {unshare.returncode} before it was ready:\n{open(log_path).read()}")
        try:
            status, payload = client.request("GET", "/healthz", timeout=5)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() - start > args.ready_timeout:
            fail(f"not healthy after {args.ready_timeout} s:\n{open(log_path).read()}")
        time.sleep(0.1)
    ok(f"GET /healthz 200 after {time.monotonic() - start:.1f} s: {payload.decode().strip()}")
    ready = [line for line in open(log_path, errors="replace") if "ready on" in line]
    if args.expect_cached_graph and not (ready and "from cached graph" in ready[-1]):
        fail(f"the baked optimised graph was not used:\n{open(log_path).read()}")
    if ready:
        ok(f"ready line: {ready[-1].strip()[-140:]}")

    status_lines = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status") if ":" in line)
    uids = status_lines["Uid"].split()
    gids = status_lines["Gid"].split()
    if set(uids) != {str(uid)} or set(gids) != {str(gid)}:
        fail(f"process runs as uid {uids} gid {gids}, not {uid}:{gid}")
    nspid = status_lines.get("NSpid", "").split()
    ok(f"serving process (host pid {pid}, pid {nspid[-1] if nspid else '?'} in its namespace) runs as uid {uid} gid {gid}")

    q = urllib.parse.quote("ベルマンフォード")
    vector = client.json("GET", f"/embed?q={q}")
    if not vector.get("vector") or vector.get("dimension") != len(vector["vector"]):
        fail(f"GET /embed: no vector in {vector}")
    ok(f"GET /embed?q=… -> {vector['dimension']}-dimensional vector")
    batch = client.json("POST", "/embed", {"texts": ["東京", "大阪"]})
    if batch.get("count") != 2:
        fail(f"POST /embed: {batch}")
    ok("POST /embed {\"texts\": [2 texts]} -> 2 vectors")

    client.json("POST", "/collections", {"name": "smoke"}, want=201)
    docs = [{"id": "gomi", "text": "燃やすごみは月曜日と木曜日に出してください。", "metadata": {"section": "くらし"}},
            {"id": "suido", "text": "水道料金は二か月ごとに請求します。", "metadata": {"section": "水道"}}]
    client.json("POST", "/collections/smoke/documents", {"documents": docs})
    found = client.json("POST", "/collections/smoke/search", {"query": docs[1]["text"], "k": 2})
    ids = [r["id"] for r in found.get("results", [])]
    if not ids or ids[0] != "suido":
        fail(f"search for a document's own text did not rank it first: {found}")
    # The default analyser (ja-mecab) reads the MeCab dictionary in the image.
    words = client.json("POST", "/collections/smoke/search", {"query": "水道料金", "mode": "lexical", "k": 2})
    lexical = [r["id"] for r in words.get("results", [])]
    if not lexical or lexical[0] != "suido":
        fail(f"lexical (ja-mecab) search for 水道料金 did not find the document: {words}")
    ok(f"lexical search (ja-mecab, MeCab dictionary in the image) ranks {lexical}")
    stored = sorted(os.listdir(data))
    if not stored:
        fail("the store wrote nothing under /data")
    ok(f"collection created, 2 documents added, search ranks {ids}; store files in /data: {stored}")

    # SIGTERM while clients post: every answered request is whole and 200.
    results = {"ok": 0, "refused": 0, "bad": []}
    stop = threading.Event()
    texts = [f"{i}番目の文です。ごみの日は月曜日です。" for i in range(32)]

    body = json.dumps({"texts": texts}, ensure_ascii=False).encode()

    def hammer():
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            try:
                conn.request("POST", "/embed", body=body,
                             headers={"Connection": "close", "Content-Type": "application/json"})
            except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
                # Not connected, or reset before the request was sent: the
                # listener had closed (a connection still in the kernel's
                # queue at that instant is reset).
                results["refused"] += 1
                conn.close()
                time.sleep(0.01)
                continue
            try:
                response = conn.getresponse()
                status, payload = response.status, response.read()
            except ConnectionResetError:
                # A reset with nothing read: the connection was still in the
                # kernel's queue when the listener closed (the server answers
                # every connection it accepted, or closes it with a FIN).
                results["refused"] += 1
                continue
            except Exception as e:  # the request was sent: no answer, or a cut one
                results["bad"].append(repr(e))
                continue
            finally:
                conn.close()
            if status == 200 and len(json.loads(payload).get("vectors", texts)) == len(texts):
                results["ok"] += 1
            else:
                results["bad"].append(f"status {status}: {payload[:200]!r}")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    answered_before = results["ok"]
    os.kill(pid, signal.SIGTERM)
    try:
        code = unshare.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("still running 60 s after SIGTERM")
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    if code != 0:
        fail(f"exit status {code} after SIGTERM:\n{open(log_path).read()[-2000:]}")
    if results["bad"] or answered_before == 0:
        fail(f"during SIGTERM: {results['ok']} ok, bad: {results['bad'][:5]}")
    ok(f"SIGTERM under load: exit 0, {results['ok']} requests answered whole, none failed or cut "
       f"({results['refused']} refused after the listener closed)")
    tail = [line for line in open(log_path).read().splitlines() if line.startswith("imi serve:")]
    print("\n".join("smoke: log  " + line for line in tail[-3:]))


if __name__ == "__main__":
    main()
