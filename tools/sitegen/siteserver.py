#!/usr/bin/env python3
"""Serves a site made by sitegen.py on loopback, the way a real city web
server would (ETag, Last-Modified, 304, redirects, 404/410) plus the
troubles a crawler must survive (a slow page, a huge streamed page, one-time
429 and 503 answers), and records every request so tests can measure the
crawler's politeness.

    siteserver.py SITE_DIR [--port 0] [--host 127.0.0.1] [--log FILE] [--crawl-delay SECONDS]
                  [--port-file FILE]

SITE_DIR holds site/ and site.json; both are re-read when site.json changes,
so a test can regenerate the site (another variant) while the server runs.
Every request is appended to --log as one JSON line: start and end (seconds,
monotonic), host, path, status, in_flight (requests to that Host being
served when this one started, itself included), the conditional headers and
the User-Agent. /_widget.html?imi=ORIGIN&c=COLLECTION serves a page that
embeds imi's search widget (for the browser tests; not linked, not in the
sitemap). Stops on SIGTERM or SIGINT."""

import argparse
import gzip
import hashlib
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.mtime = None
        self.manifest = {}
        self.flaky_done = set()
        self.reload()

    def reload(self):
        path = os.path.join(self.root, "site.json")
        mtime = os.stat(path).st_mtime_ns
        with self.lock:
            if mtime == self.mtime:
                return self.manifest
            with open(path, encoding="utf-8") as f:
                self.manifest = json.load(f)
            self.mtime = mtime
            return self.manifest

    def read(self, name):
        with open(os.path.join(self.root, "site", name), "rb") as f:
            return f.read()

    def first_time(self, path):
        with self.lock:
            if path in self.flaky_done:
                return False
            self.flaky_done.add(path)
            return True


class State:
    site = None
    log = None
    log_lock = threading.Lock()
    in_flight = {}
    crawl_delay = None
    port = 0


def widget_page(query):
    params = urllib.parse.parse_qs(query)
    imi = params.get("imi", ["http://127.0.0.1:8080"])[0]
    collection = params.get("c", ["city"])[0]
    lang = params.get("lang", ["ja"])[0]
    esc = lambda s: s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return ('<!DOCTYPE html>\n<html lang="ja"><head><meta charset="UTF-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>みどり野市 サイト内検索（埋め込み）</title></head>\n<body>\n'
            '<header><h1>みどり野市</h1></header>\n<main>\n<h2>サイト内検索</h2>\n'
            '<div data-imi-search="{c}" data-lang="{lang}"></div>\n'
            '<script src="{imi}/search/widget.js" async></script>\n</main>\n</body></html>\n').format(
                c=esc(collection), lang=esc(lang), imi=esc(imi)).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "midorino-httpd/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def handle_request(self, head):
        host = self.headers.get("Host", "")
        with State.log_lock:
            State.in_flight[host] = State.in_flight.get(host, 0) + 1
            in_flight = State.in_flight[host]
        start = time.monotonic()
        status = 500
        try:
            status = self.serve(head, host)
        except (BrokenPipeError, ConnectionResetError):
            status = 499
        finally:
            end = time.monotonic()
            with State.log_lock:
                State.in_flight[host] -= 1
                if State.log is not None:
                    State.log.write(json.dumps({
                        "start": start, "end": end, "host": host, "path": self.path, "status": status,
                        "in_flight": in_flight, "inm": self.headers.get("If-None-Match"),
                        "ims": self.headers.get("If-Modified-Since"), "ua": self.headers.get("User-Agent")}) + "\n")
                    State.log.flush()

    def send(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if body and not head:
            self.wfile.write(body)
        return status

    def serve(self, head, host):
        site = State.site
        manifest = site.reload()
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        origin = "http://" + host
        if path == "/_widget.html":
            return self.send(200, widget_page(url.query), {"Content-Type": "text/html; charset=UTF-8"}, head)
        if path in manifest["redirects"]:
            code, target = manifest["redirects"][path]
            return self.send(code, b"", {"Location": target}, head)
        if path in manifest["gone"]:
            return self.send(410, b"gone", {"Content-Type": "text/plain"}, head)
        if path in manifest["flaky"] and site.first_time(path):
            code, retry_after = manifest["flaky"][path]
            headers = {"Content-Type": "text/plain"}
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            return self.send(code, b"busy", headers, head)
        if path in manifest["huge"]:
            return self.stream_huge(head)
        entry = manifest["files"].get(path)
        if entry is None and path.endswith("/"):
            entry = manifest["files"].get(path + "index.html")
        if entry is None and path.endswith("/index.html"):
            entry = manifest["files"].get(path[: -len("index.html")])
        if entry is None:
            return self.send(404, "<html><body><h1>404 ページが見つかりません</h1></body></html>".encode("utf-8"),
                             {"Content-Type": "text/html; charset=UTF-8"}, head)
        if path in manifest["slow"]:
            time.sleep(manifest["slow"][path])
        body = site.read(entry["file"])
        if entry.get("template"):
            other = "http://localhost:{}".format(State.port)
            delay = "Crawl-delay: {}\n".format(State.crawl_delay) if State.crawl_delay else ""
            body = (body.decode("utf-8").replace("{{ORIGIN}}", origin).replace("{{OTHER_ORIGIN}}", other)
                    .replace("{{CRAWL_DELAY}}\n", delay).encode("utf-8"))
        if entry.get("gzip"):
            body = gzip.compress(body, mtime=0)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"Content-Type": entry["content_type"], "ETag": etag, "Last-Modified": entry["last_modified"]}
        inm = self.headers.get("If-None-Match")
        if inm is not None and etag in [t.strip() for t in inm.split(",")]:
            return self.send(304, b"", {"ETag": etag, "Last-Modified": entry["last_modified"]}, head)
        return self.send(200, body, headers, head)

    def stream_huge(self, head):
        """16 MiB of HTML without a Content-Length (chunked)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if head:
            return 200
        line = ("<p>" + "議事録の本文です。" * 20 + "</p>\n").encode("utf-8")
        chunk = line * (65536 // len(line))
        sent = 0
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b"<html><body>"), b"<html><body>"))
            while sent < 16 * 1024 * 1024:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return 499
        return 200


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site_dir")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--log")
    parser.add_argument("--crawl-delay", type=float)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("siteserver.py: serves on loopback only")
    State.site = Site(args.site_dir)
    State.crawl_delay = args.crawl_delay
    if args.log:
        State.log = open(args.log, "a", encoding="utf-8")
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    State.port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(State.port))
        os.replace(tmp, args.port_file)
    print("siteserver: serving {} on http://{}:{}/".format(args.site_dir, args.host, State.port), flush=True)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
