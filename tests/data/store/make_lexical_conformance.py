#!/usr/bin/python3
"""Writes tests/data/store/lexical_conformance.json: documents, searches and
the expected rankings of the lexical, sparse and hybrid conformance cases.

The expected values are computed here, independently of imi's stores: BM25
exactly as Lucene defines it (k1, b; idf = ln(1 + (N - n + 0.5) / (n + 0.5));
N = chunks with at least one term), each document shown by its best chunk,
ties by document id then chunk ordinal; sparse dot products accumulated in
float32 in ascending index order (as pgvector does); RRF and weighted
min-max fusion. Only the terms come from imi: `imi segment --analyzer NAME`,
whose MeCab words tests/analysis/mecab_live_test.cc checks against Debian's
mecab.

    /usr/bin/python3 tests/data/store/make_lexical_conformance.py build/imi
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75

DOCS = [
    {"id": "gomi", "metadata": {"section": "くらし", "year": 2024},
     "chunks": ["燃やすごみは月曜日と木曜日に出してください。", "資源ごみは第2・第4水曜日です。ごみの分け方はごみカレンダーをご覧ください。"]},
    {"id": "suido", "metadata": {"section": "くらし", "year": 2023},
     "chunks": ["水道料金は2か月ごとに請求します。", "断水のお知らせ：水道管の工事のため、3月10日は断水します。"]},
    {"id": "hoiku", "metadata": {"section": "子育て", "year": 2024},
     "chunks": ["保育園の入園申し込みは市役所の子育て支援課で受け付けます。"]},
    {"id": "toshokan", "metadata": {"section": "文化", "year": 2022},
     "chunks": ["市立図書館は月曜日が休館日です。本の貸し出しは1人10冊までです。"]},
    {"id": "bosai", "metadata": {"section": "防災", "year": 2024},
     "chunks": ["避難所の一覧と防災マップを掲載しています。", "大雨のときは水道の断水に備えて水を用意してください。"]},
    {"id": "kanko", "metadata": {"section": "観光", "year": 2021},
     "chunks": ["桜まつりは4月に市民公園で開かれます。Wi-Fiも使えます。"]},
    {"id": "english", "metadata": {"section": "文化", "year": 2023},
     "chunks": ["The city library opens on Sunday. Library cards are free."]},
    {"id": "empty", "metadata": {"section": "その他", "year": 2020},
     "chunks": ["。。。、、"]},
]

# Sparse vectors of some chunks (document id, ordinal) -> {index: value}.
SPARSE = {
    ("gomi", 0): {3: 0.5, 17: 1.25, 250001: 0.1},
    ("gomi", 1): {17: 0.75, 40: 2.0},
    ("suido", 1): {3: 1.5, 999999999: 0.3},
    ("bosai", 1): {3: 0.2, 17: 0.2, 40: -0.5},
    ("kanko", 0): {7: 1.0},
}

ANALYZERS = ["ja-mecab", "ja-bigram", "simple"]

LEXICAL_SEARCHES = [
    {"analyzer": "ja-mecab", "query": "断水はいつですか", "k": 5},
    {"analyzer": "ja-mecab", "query": "ごみ 月曜日", "k": 10},
    {"analyzer": "ja-mecab", "query": "ごみ 月曜日", "k": 2},
    {"analyzer": "ja-mecab", "query": "水道", "k": 10, "filter": {"section": "くらし"}},
    {"analyzer": "ja-mecab", "query": "図書館 library", "k": 10},
    {"analyzer": "ja-mecab", "query": "存在しない語彙", "k": 10},
    {"analyzer": "ja-bigram", "query": "断水のお知らせ", "k": 10},
    {"analyzer": "ja-bigram", "query": "子育て支援", "k": 3},
    {"analyzer": "ja-bigram", "query": "水道 水道", "k": 10, "filter": {"year": {"$gte": 2024}}},
    {"analyzer": "simple", "query": "LIBRARY cards", "k": 10},
    {"analyzer": "", "query": "市役所", "k": 10},
]

SPARSE_SEARCHES = [
    {"sparse": {"indices": [3, 17], "values": [1.0, 0.5]}, "k": 10},
    {"sparse": {"indices": [40], "values": [1.0]}, "k": 10},
    {"sparse": {"indices": [17, 999999999], "values": [0.3, 2.0]}, "k": 1},
    {"sparse": {"indices": [3], "values": [1.0]}, "k": 10, "filter": {"section": "くらし"}},
]

HYBRID_SEARCHES = [
    {"query": "断水 水道", "analyzers": ["ja-mecab", "ja-bigram"], "sparse": {"indices": [3], "values": [1.0]},
     "vector": [0.6, -0.8], "fusion": {"method": "rrf", "k": 60}, "k": 5},
    {"query": "ごみの日", "analyzers": ["ja-mecab", "ja-bigram"], "fusion": {"method": "rrf", "k": 10,
     "weights": {"lexical:ja-bigram": 2.0}}, "k": 10},
    {"query": "図書館 月曜日", "analyzers": ["ja-mecab", "simple"], "sparse": {"indices": [17], "values": [1.0]},
     "fusion": {"method": "weighted", "weights": {"lexical": 0.7, "sparse": 0.3}}, "k": 10},
]


def terms_of(imi, analyzer, texts):
    lines = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    out = subprocess.run([imi, "segment", "--analyzer", analyzer, "--jsonl"], input=lines.encode(),
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return [json.loads(line)["words"] for line in out.splitlines()]


def matches(meta, flt):
    for key, cond in (flt or {}).items():
        value = meta.get(key)
        if isinstance(cond, dict):
            for op, bound in cond.items():
                if op == "$gte" and not (isinstance(value, (int, float)) and value >= bound):
                    return False
        elif value != cond:
            return False
    return True


def top_documents(scored, k, flt):
    """scored: list of (score, doc_id, ordinal) -> best chunk per doc, ranked, filtered."""
    best = {}
    for score, doc, ordinal in scored:
        key = (-score, doc, ordinal)
        if doc not in best or key < best[doc]:
            best[doc] = key
    meta = {d["id"]: d["metadata"] for d in DOCS}
    ranked = sorted(v for d, v in best.items() if matches(meta[d], flt))
    return [{"id": d, "ordinal": o, "score": -s} for s, d, o in ranked[:k]]


def bm25(imi, analyzer, query, k, flt):
    chunks = [(d["id"], o, t) for d in DOCS for o, t in enumerate(d["chunks"])]
    chunk_terms = terms_of(imi, analyzer, [t for _, _, t in chunks])
    lengths = [len(t) for t in chunk_terms]
    n_chunks = sum(1 for n in lengths if n > 0)
    avgdl = float(sum(lengths)) / float(n_chunks)
    qterms = terms_of(imi, analyzer, [query])[0]
    counts = {}
    for t in qterms:
        counts[t] = counts.get(t, 0) + 1
    scored = []
    for (doc, ordinal, _), terms, dl in zip(chunks, chunk_terms, lengths):
        total = None
        for term in sorted(counts, key=lambda s: s.encode()):
            tf = terms.count(term)
            if tf == 0:
                continue
            df = sum(1 for ts in chunk_terms if term in ts)
            idf = math.log(1 + ((float(n_chunks) - float(df)) + 0.5) / (float(df) + 0.5))
            part = float(counts[term]) * idf * float(tf) / (float(tf) + K1 * (1 - B + B * float(dl) / avgdl))
            total = part if total is None else total + part
        if total is not None:
            scored.append((total, doc, ordinal))
    return top_documents(scored, k, flt)


def sparse_dot(a, b):
    total = np.float32(0)
    for index in sorted(set(a) & set(b)):
        total = np.float32(total + np.float32(np.float32(a[index]) * np.float32(b[index])))
    return float(total)


def sparse_search(query, k, flt):
    q = dict(zip(query["indices"], query["values"]))
    scored = []
    for (doc, ordinal), vec in SPARSE.items():
        s = sparse_dot(vec, q)
        if s != 0:
            scored.append((s, doc, ordinal))
    return top_documents(scored, k, flt)


def dense_search(documents, vector, k):
    q = np.array(vector, dtype=np.float32).astype(np.float64)
    scored = []
    for d in documents:
        for c in d["chunks"]:
            v = np.array(c["vector"], dtype=np.float32).astype(np.float64)
            scored.append((float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v))), d["id"], c["ordinal"]))
    return top_documents(scored, k, None)


def fuse(lists, fusion, k):
    docs = {}
    for name, ranked in lists:
        w = fusion.get("weights", {}).get(name)
        if w is None and name.startswith("lexical:"):
            w = fusion.get("weights", {}).get("lexical")
        w = 1.0 if w is None else w
        scores = [r["score"] for r in ranked]
        lo, hi = (min(scores), max(scores)) if scores else (0, 0)
        for rank, r in enumerate(ranked, 1):
            entry = docs.setdefault(r["id"], {"id": r["id"], "score": 0.0, "components": {}})
            entry["components"][name] = {"score": r["score"], "rank": rank}
            if fusion["method"] == "rrf":
                entry["score"] += w / (fusion.get("k", 60) + rank)
            else:
                entry["score"] += w * ((r["score"] - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(docs.values(), key=lambda e: (-e["score"], e["id"]))[:k]


def main():
    imi = sys.argv[1] if len(sys.argv) > 1 else "build/imi"
    rng = np.random.default_rng(20261205)
    documents = []
    for d in DOCS:
        chunks = []
        for o, text in enumerate(d["chunks"]):
            chunk = {"ordinal": o, "text": text, "vector": [round(float(x), 4) for x in rng.uniform(-1, 1, 2)]}
            if (d["id"], o) in SPARSE:
                vec = SPARSE[(d["id"], o)]
                chunk["sparse"] = {"indices": list(vec), "values": list(vec.values())}
            chunks.append(chunk)
        documents.append({"id": d["id"], "text": "".join(d["chunks"]), "metadata": d["metadata"], "chunks": chunks})
    lexical = []
    for s in LEXICAL_SEARCHES:
        analyzer = s["analyzer"] or ANALYZERS[0]
        lexical.append(dict(s, expected=bm25(imi, analyzer, s["query"], s["k"], s.get("filter"))))
    sparse = [dict(s, expected=sparse_search(s["sparse"], s["k"], s.get("filter"))) for s in SPARSE_SEARCHES]
    hybrid = []
    for s in HYBRID_SEARCHES:
        lists = [("dense", dense_search(documents, s["vector"], 100))] if "vector" in s else []
        lists += [("lexical:" + a, bm25(imi, a, s["query"], 100, None)) for a in s["analyzers"]]
        if "sparse" in s:
            lists.append(("sparse", sparse_search(s["sparse"], 100, None)))
        hybrid.append(dict(s, expected=fuse(lists, s["fusion"], s["k"])))
    out = {
        "comment": "written by make_lexical_conformance.py; expected values are independent of imi's stores",
        "collection": {"analyzers": ANALYZERS, "k1": K1, "b": B, "dimension": 2, "metric": "cosine"},
        "documents": documents, "lexical": lexical, "sparse": sparse, "hybrid": hybrid,
    }
    path = Path(__file__).with_name("lexical_conformance.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
