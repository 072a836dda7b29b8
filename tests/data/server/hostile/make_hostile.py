#!/usr/bin/env python3
"""Writes hostile.jsonl: malformed and hostile HTTP requests with the status
each must get from `imi serve` (tests/server/http_server_test.cc runs them
against a server with 1 s header/body timeouts, a 2 MB payload limit, 32 KiB
of request head and a test model with max_seq_length 32 and dimension 8).

A case is either raw "parts" (sent with "delay_ms" between them) or a
"method"/"path"/"body" request whose Content-Length is computed by the test.
Strings may use ${repeat:N:TEXT} (TEXT ends at the first closing brace),
${rbrace:N} (N closing braces) and ${hex:HEX}. "expect" 0 means the server
closes the connection without answering. Re-run after editing:
    python3 tests/data/server/hostile/make_hostile.py
"""
import json
import os

cases = []


def raw(name, parts, expect, delay_ms=0, half_close=False):
    cases.append({"name": name, "parts": parts, "delay_ms": delay_ms, "half_close": half_close, "expect": expect})


def req(name, method, path, body, expect, headers=None, half_close=False, omit_length=False):
    c = {"name": name, "method": method, "path": path, "body": body, "expect": expect}
    if headers:
        c["headers"] = headers
    if half_close:
        c["half_close"] = True
    if omit_length:
        c["omit_length"] = True
    cases.append(c)


H = "Host: 127.0.0.1\r\n"

# --- request line and headers -------------------------------------------------
raw("not HTTP at all", ["HELLO THERE\r\n\r\n"], 400)
raw("request line without target", ["GET\r\n\r\n"], 400)
raw("unknown HTTP version", ["GET / HTTP/9.9\r\n" + H + "\r\n"], 400)
raw("unknown method", ["BREW /embed HTTP/1.1\r\n" + H + "\r\n"], 400)
raw("lower-case method", ["get /healthz HTTP/1.1\r\n" + H + "\r\n"], 400)
raw("bare LF line endings", ["GET /healthz HTTP/1.1\n" + H.replace("\r", "") + "\n"], 400)
raw("binary garbage", ["${hex:00 ff 13 37 de ad be ef}\r\n\r\n"], 400)
raw("request line of spaces", ["${repeat:200: }\r\n\r\n"], 400)
raw("URI over 8 KiB", ["GET /embed?q=${repeat:9000:a} HTTP/1.1\r\n" + H + "\r\n"], 414)
raw("URI over the 32 KiB head budget", ["GET /embed?q=${repeat:40000:a} HTTP/1.1\r\n" + H + "\r\n"], 431)
raw("one header line over 8 KiB", ["GET /healthz HTTP/1.1\r\n" + H + "X-Big: ${repeat:10000:b}\r\n\r\n"], 400)
raw("headers over the 32 KiB head budget", ["GET /healthz HTTP/1.1\r\n" + H + ("X-Pad: " + "p" * 1000 + "\r\n") * 40 + "\r\n"],
    431)
raw("ten thousand tiny headers", ["GET /healthz HTTP/1.1\r\n" + H + "${repeat:10000:X: y\r\n}\r\n"], 431)
raw("NUL byte in the path", ["GET /emb${hex:00}ed HTTP/1.1\r\n" + H + "\r\n"], 400)
# imi serves no partial content: Range is ignored (RFC 9110 allows it).
raw("invalid Range is ignored", ["GET /openapi.json HTTP/1.1\r\n" + H + "Range: bytes=z-q\r\n\r\n"], 200)
raw("Expect 100-continue with a body over the limit",
    ["POST /embed HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 3000000\r\n\r\n"], 413)
raw("Content-Length not a number", ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: abc\r\n\r\n{}"], 400)
raw("negative Content-Length", ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: -5\r\n\r\n{}"], 400)
raw("Content-Length in exponent form", ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 1e3\r\n\r\n{}"], 400)
raw("Content-Length with 30 digits",
    ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 123456789012345678901234567890\r\n\r\n{}"], 400)
raw("two different Content-Lengths",
    ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"], 400)
raw("Content-Length over the payload limit, body never sent",
    ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 3000000\r\n\r\n"], 413)
raw("chunked transfer encoding", ["POST /embed HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"], 411)
raw("chunked and Content-Length together (smuggling)",
    ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"], 411)
raw("lying Content-Length: fewer bytes arrive", ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 100\r\n\r\n{\"texts\":"], 408)
raw("truncated body then half-close", ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 100\r\n\r\n{\"texts\":"], 400,
    half_close=True)
raw("slowloris: head trickled and never finished",
    ["GET /healthz HTTP/1.1\r\n", "Host: 1", "27.0", ".0.1", "\r\nX-", "a: b", "\r\nX-", "c: d"], 408, delay_ms=250)
raw("slowloris: request line trickled", ["G", "E", "T", " ", "/", "h", "e", "a", "l"], 408, delay_ms=250)
raw("slowloris: body trickled",
    ["POST /embed HTTP/1.1\r\n" + H + "Content-Length: 40\r\n\r\n{", "\"te", "xts", "\": ", "[\"a", "\"]"], 408,
    delay_ms=300)
raw("connects and says nothing", [""], 0)
raw("partial request line then half-close", ["GET /hea"], 0, half_close=True)
raw("header line without a colon", ["GET /nope HTTP/1.1\r\n" + H + "NoColonHere\r\n\r\n"], 400)

# --- routes and methods ---------------------------------------------------------
req("unknown route", "GET", "/nope", "", 404)
req("unknown route with a body", "POST", "/v2/embeddings", "{\"input\":\"a\"}", 404)
req("PUT on /embed", "PUT", "/embed", "{}", 405)
req("DELETE on /v1/embeddings", "DELETE", "/v1/embeddings", "{}", 405)
req("PATCH on /healthz", "PATCH", "/healthz", "{}", 405)
req("GET on /api/embed", "GET", "/api/embed", "", 405)
req("OPTIONS on an unknown route", "OPTIONS", "/nope", "", 404)
req("path traversal under /docs", "GET", "/docs/../../../etc/passwd", "", 404)
req("encoded path traversal under /docs", "GET", "/docs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "", 404)
req("GET /embed without q", "GET", "/embed", "", 400)
req("GET /embed with empty q", "GET", "/embed?q=", "", 422)
req("GET /embed with invalid UTF-8", "GET", "/embed?q=%ff%fe", "", 400)
req("GET /embed with an overlong encoding", "GET", "/embed?q=%c0%af", "", 400)
req("GET /embed with an encoded surrogate", "GET", "/embed?q=%ed%a0%80", "", 400)

# --- JSON bodies, for every POST route -------------------------------------------
routes = [
    ("original", "/embed", "texts"),
    ("tei", "/embed", "inputs"),
    ("openai", "/v1/embeddings", "input"),
    ("ollama", "/api/embed", "input"),
    ("ollama-legacy", "/api/embeddings", "prompt"),
    ("tokenize", "/tokenize", "inputs"),
]
for tag, path, field in routes:
    single = field == "prompt"
    good = "\"a\"" if single else "[\"a\"]"
    req(f"{tag}: empty body", "POST", path, "", 400)
    req(f"{tag}: body of spaces", "POST", path, "   \r\n ", 400)
    req(f"{tag}: JSON null", "POST", path, "null", 400)
    req(f"{tag}: JSON array", "POST", path, "[1,2]", 400)
    req(f"{tag}: JSON string", "POST", path, "\"texts\"", 400)
    req(f"{tag}: truncated JSON", "POST", path, "{\"" + field + "\": " + good[:-1], 400)
    req(f"{tag}: trailing garbage", "POST", path, "{\"" + field + "\": " + good + "} x", 400)
    req(f"{tag}: single quotes", "POST", path, "{'" + field + "': " + good.replace('"', "'") + "}", 400)
    req(f"{tag}: comment", "POST", path, "/* c */ {\"" + field + "\": " + good + "}", 400)
    req(f"{tag}: NaN", "POST", path, "{\"" + field + "\": " + good + ", \"x\": NaN}", 400)
    req(f"{tag}: Infinity", "POST", path, "{\"" + field + "\": " + good + ", \"x\": Infinity}", 400)
    req(f"{tag}: -Infinity", "POST", path, "{\"" + field + "\": " + good + ", \"x\": -Infinity}", 400)
    req(f"{tag}: 100000 nested arrays", "POST", path, "{\"" + field + "\": ${repeat:100000:[}", 400)
    req(f"{tag}: 40 nested objects, closed", "POST", path,
        "{\"" + field + "\": " + good + ", \"x\": ${repeat:40:{\"a\":}1${rbrace:40}}", 400)
    req(f"{tag}: raw invalid UTF-8 in a string", "POST", path, "{\"" + field + "\": \"a${hex:ff}b\"}", 400)
    req(f"{tag}: overlong UTF-8 in a string", "POST", path, "{\"" + field + "\": \"${hex:c0 af}\"}", 400)
    req(f"{tag}: lone surrogate escape", "POST", path, "{\"" + field + "\": \"\\ud800\"}", 400)
    req(f"{tag}: field missing", "POST", path, "{}", 400)
    req(f"{tag}: field null", "POST", path, "{\"" + field + "\": null}", 400)
    req(f"{tag}: field a number", "POST", path, "{\"" + field + "\": 5}", 400)
    req(f"{tag}: field an object", "POST", path, "{\"" + field + "\": {}}", 400)
    req(f"{tag}: field a boolean", "POST", path, "{\"" + field + "\": true}", 400)
    req(f"{tag}: 10 MB string", "POST", path, "{\"" + field + "\": \"${repeat:10485760:x}\"}", 413)
    req(f"{tag}: 3 MB of whitespace", "POST", path, "${repeat:3145728: }{}", 413)
    if single:
        req(f"{tag}: prompt an array", "POST", path, "{\"prompt\": [\"a\"]}", 400)
        req(f"{tag}: empty prompt", "POST", path, "{\"prompt\": \"\"}", 422)
        continue
    req(f"{tag}: null item", "POST", path, "{\"" + field + "\": [\"a\", null]}", 400)
    req(f"{tag}: nested array item", "POST", path, "{\"" + field + "\": [\"a\", [\"b\"]]}", 400)
    req(f"{tag}: empty string item", "POST", path, "{\"" + field + "\": [\"a\", \"\"]}", 422 if tag != "tokenize" else 200)
    req(f"{tag}: 257 inputs", "POST", path, "{\"" + field + "\": [${repeat:256:\"a\",}\"a\"]}", 413)
    if tag == "openai":
        req(f"{tag}: empty array", "POST", path, "{\"input\": []}", 422)
    elif tag == "tokenize":
        pass
    else:
        req(f"{tag}: empty array", "POST", path, "{\"" + field + "\": []}", 422)

# --- route-specific fields --------------------------------------------------------
LONG = "\"" + "x" * 60 + "\""
req("original: texts a string, not an array", "POST", "/embed", "{\"texts\": \"a\"}", 400)
req("original: number item", "POST", "/embed", "{\"texts\": [1]}", 400)
req("tei: normalize a string", "POST", "/embed", "{\"inputs\": \"a\", \"normalize\": \"yes\"}", 400)
req("tei: truncate a number", "POST", "/embed", "{\"inputs\": \"a\", \"truncate\": 1}", 400)
req("tei: unknown truncation direction", "POST", "/embed", "{\"inputs\": \"a\", \"truncation_direction\": \"up\"}", 400)
req("tei: prompt_name a number", "POST", "/embed", "{\"inputs\": \"a\", \"prompt_name\": 3}", 400)
req("tei: unknown prompt_name", "POST", "/embed", "{\"inputs\": \"a\", \"prompt_name\": \"nope\"}", 400)
req("tei: too long with truncate false", "POST", "/embed", "{\"inputs\": " + LONG + ", \"truncate\": false}", 422)
req("tei: dimensions zero", "POST", "/embed", "{\"inputs\": \"a\", \"dimensions\": 0}", 422)
req("tei: dimensions over the model's", "POST", "/embed", "{\"inputs\": \"a\", \"dimensions\": 9}", 422)
req("openai: number item after a string", "POST", "/v1/embeddings", "{\"input\": [\"a\", 1]}", 400)
req("openai: fractional token id", "POST", "/v1/embeddings", "{\"input\": [1.5]}", 400)
req("openai: string inside token lists", "POST", "/v1/embeddings", "{\"input\": [[1, \"a\"]]}", 400)
req("openai: token id outside the vocabulary", "POST", "/v1/embeddings", "{\"input\": [5000]}", 422)
req("openai: negative token id", "POST", "/v1/embeddings", "{\"input\": [-1]}", 422)
req("openai: token id over int32", "POST", "/v1/embeddings", "{\"input\": [99999999999]}", 422)
req("openai: empty token list", "POST", "/v1/embeddings", "{\"input\": [[]]}", 422)
req("openai: unknown encoding_format", "POST", "/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}", 400)
req("openai: dimensions a string", "POST", "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": \"3\"}", 400)
req("openai: dimensions negative", "POST", "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": -3}", 422)
req("openai: dimensions fractional", "POST", "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 2.5}", 400)
req("openai: dimensions huge", "POST", "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 18446744073709551615}", 422)
req("openai: model a number", "POST", "/v1/embeddings", "{\"input\": \"a\", \"model\": 5}", 400)
req("openai: empty string", "POST", "/v1/embeddings", "{\"input\": \"\"}", 422)
req("ollama: truncate a string", "POST", "/api/embed", "{\"input\": \"a\", \"truncate\": \"no\"}", 400)
req("ollama: too long with truncate false", "POST", "/api/embed", "{\"input\": " + LONG + ", \"truncate\": false}", 422)
req("ollama: dimensions over the model's", "POST", "/api/embed", "{\"input\": \"a\", \"dimensions\": 100}", 422)
req("tokenize: add_special_tokens a string", "POST", "/tokenize", "{\"inputs\": \"a\", \"add_special_tokens\": \"no\"}", 400)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(f"{len(cases)} cases -> {out}")
