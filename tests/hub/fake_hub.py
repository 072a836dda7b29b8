#!/usr/bin/env python3
"""Loopback stand-in for the Hugging Face hub, for imi's hub tests.

Serves the repositories described by a JSON spec (tests/data/hub/repos.json)
the way huggingface.co does:
  GET  /api/models/{repo}/revision/{rev}     -> {"sha": ..., "siblings": [{"rfilename": ...}]}
  HEAD|GET /{repo}/resolve/{rev}/{path}      -> small files: 200 with ETag = git blob sha1
                                                LFS files: 302 to the "CDN" (a second port) with
                                                X-Linked-Etag = sha256, X-Linked-Size
  HEAD|GET /cdn/{repo}/{path} (CDN port)     -> the bytes, honouring "Range: bytes=N-" (206)
Both answer X-Repo-Commit. Faults per file (spec keys): "drop_first" (first CDN
GET sends half the body then closes), "corrupt" (CDN serves other bytes than
the advertised sha256), "ignore_range" (CDN answers 200 to Range requests),
"fail_first" (N first CDN GETs answer 503). Per repo: "token" (401 without
"Authorization: Bearer <token>"), "api": false (the API answers 404), "dir"
(serve every file of a local model directory; $VARS expanded).

Usage: fake_hub.py --spec SPEC --root DIR --port-file FILE --log FILE
Writes the repository files under DIR/files/{repo}/{path}, one JSON line per
request to the log, and "HUB_PORT CDN_PORT" to the port file once listening.
"""
import argparse
import hashlib
import http.server
import json
import os
import random
import re
import socket
import sys
import threading
import urllib.parse


def build_repos(spec, root):
    repos = {}
    for repo_id, repo in spec["repos"].items():
        files = {}
        merged = dict(spec["templates"].get(repo.get("template", ""), {}))
        if "dir" in repo:
            # Serve a real model directory: .onnx and large files as LFS.
            base = os.path.expandvars(repo["dir"])
            for dirpath, _, names in os.walk(base):
                for name in names:
                    full = os.path.join(dirpath, name)
                    rel = os.path.relpath(full, base)
                    lfs = rel.endswith(".onnx") or os.path.getsize(full) > 1000000
                    merged[rel] = {"path": full, "lfs": lfs}
        merged.update(repo.get("files", {}))
        for path, f in merged.items():
            if f is None:
                continue
            if "path" in f:
                with open(f["path"], "rb") as fh:
                    data = fh.read()
            elif "text" in f:
                data = f["text"].encode("utf-8")
            else:
                data = random.Random(f.get("seed", 0)).randbytes(f["random"])
            lfs = f.get("lfs", False)
            entry = dict(f)
            entry["data"] = data
            entry["lfs"] = lfs
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["git_sha1"] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            files[path] = entry
            out = os.path.join(root, "files", repo_id, path)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as fh:
                fh.write(data)
        repos[repo_id] = {"sha": repo["sha"], "files": files, "token": repo.get("token"),
                          "api": repo.get("api", True)}
    return repos


class State:
    def __init__(self, repos, log_path):
        self.repos = repos
        self.log_path = log_path
        self.lock = threading.Lock()
        self.cdn_gets = {}
        self.cdn_port = 0

    def log(self, record):
        with self.lock, open(self.log_path, "a") as fh:
            fh.write(json.dumps(record) + "\n")

    def count_cdn_get(self, key):
        with self.lock:
            self.cdn_gets[key] = self.cdn_gets.get(key, 0) + 1
            return self.cdn_gets[key]


def make_handler(state, role):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "fake-hub/1"

        def log_message(self, fmt, *args):
            pass

        def send(self, status, headers, body=b"", send_body=True):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, message, extra=None):
            headers = {"Content-Type": "application/json", "X-Error-Message": message}
            headers.update(extra or {})
            self.send(status, headers, json.dumps({"error": message}).encode())

        def authorized(self, repo):
            return repo["token"] is None or self.headers.get("Authorization") == "Bearer " + repo["token"]

        def handle_any(self):
            path = urllib.parse.urlsplit(self.path).path
            state.log({"server": role, "method": self.command, "path": path,
                       "range": self.headers.get("Range"),
                       "auth": self.headers.get("Authorization") is not None})
            if role == "cdn":
                return self.serve_cdn(path)
            m = re.match(r"^/api/models/(.+)/revision/([^/]+)$", path)
            if m:
                return self.serve_api(urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2)))
            m = re.match(r"^/(.+?)/resolve/([^/]+)/(.+)$", path)
            if m:
                return self.serve_resolve(urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2)),
                                          urllib.parse.unquote(m.group(3)))
            self.error(404, "no such route")

        def find_repo(self, repo_id, revision):
            repo = state.repos.get(repo_id)
            if repo is None:
                # Like the real hub: unknown and private repositories look alike.
                self.error(401, "Repository Not Found", {"X-Error-Code": "RepoNotFound"})
                return None
            if not self.authorized(repo):
                self.error(401, "Invalid credentials in Authorization header", {"X-Error-Code": "GatedRepo"})
                return None
            if revision not in (repo["sha"], "main"):
                self.error(404, "Revision Not Found", {"X-Error-Code": "RevisionNotFound"})
                return None
            return repo

        def serve_api(self, repo_id, revision):
            repo = state.repos.get(repo_id)
            if repo is not None and not repo["api"]:
                return self.error(404, "no API on this mirror")
            repo = self.find_repo(repo_id, revision)
            if repo is None:
                return
            body = json.dumps({"id": repo_id, "sha": repo["sha"],
                               "siblings": [{"rfilename": p} for p in sorted(repo["files"])]}).encode()
            self.send(200, {"Content-Type": "application/json"}, body)

        def serve_resolve(self, repo_id, revision, path):
            repo = self.find_repo(repo_id, revision)
            if repo is None:
                return
            f = repo["files"].get(path)
            common = {"X-Repo-Commit": repo["sha"]}
            if f is None:
                common.update({"X-Error-Code": "EntryNotFound"})
                return self.error(404, "Entry not found", common)
            if f["lfs"]:
                location = "http://127.0.0.1:%d/cdn/%s/%s" % (state.cdn_port, repo_id, path)
                common.update({"Location": location, "ETag": '"%s"' % f["sha256"],
                               "X-Linked-Etag": '"%s"' % f["sha256"], "X-Linked-Size": str(len(f["data"]))})
                return self.send(302, common)
            etag = f["git_sha1"]
            common.update({"ETag": ('W/"%s"' if f.get("weak_etag") else '"%s"') % etag,
                           "Content-Type": "application/octet-stream"})
            self.send(200, common, f["data"])

        def serve_cdn(self, path):
            if self.headers.get("Authorization") is not None:
                return self.error(400, "the CDN must not receive the hub token")
            m = re.match(r"^/cdn/(.+?/.+?)/(.+)$", path)
            repo = state.repos.get(urllib.parse.unquote(m.group(1))) if m else None
            f = repo["files"].get(urllib.parse.unquote(m.group(2))) if repo else None
            if f is None:
                return self.error(404, "no such object")
            data = f["data"]
            if f.get("corrupt"):
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            nth = state.count_cdn_get(path) if self.command == "GET" else 0
            if self.command == "GET" and nth <= f.get("fail_first", 0):
                return self.error(503, "try again")
            start = 0
            rng = self.headers.get("Range")
            status = 200
            headers = {"Content-Type": "application/octet-stream", "ETag": '"s3-%s"' % f["sha256"][:16]}
            if rng and not f.get("ignore_range"):
                rm = re.match(r"^bytes=(\d+)-$", rng)
                if not rm or int(rm.group(1)) >= len(data):
                    return self.error(416, "range not satisfiable",
                                      {"Content-Range": "bytes */%d" % len(data)})
                start = int(rm.group(1))
                status = 206
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
            body = data[start:]
            if self.command == "GET" and f.get("drop_first") and nth == 1:
                headers["Content-Length"] = str(len(body))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send(status, headers, body)

        def do_GET(self):
            self.handle_any()

        def do_HEAD(self):
            self.handle_any()

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.spec) as fh:
        spec = json.load(fh)
    state = State(build_repos(spec, args.root), args.log)
    open(args.log, "w").close()
    hub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, "hub"))
    cdn = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, "cdn"))
    state.cdn_port = cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d %d\n" % (hub.server_address[1], cdn.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
