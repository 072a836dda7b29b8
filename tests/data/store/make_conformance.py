#!/usr/bin/python3
"""Writes tests/data/store/conformance/*.json: ranking cases for every metric.

Expected ids and scores come from numpy in float64 (an implementation
independent of imi). Each document has 1-3 chunks; a document ranks by its
best chunk. Run: /usr/bin/python3 tests/data/store/make_conformance.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CITIES = ["Sakura", "Momiji", "Kaede", "Tsubaki"]


def score(metric, q, v):
    if metric == "cosine":
        return float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v)))
    if metric == "l2":
        return float(np.linalg.norm(q - v))
    if metric == "ip":
        return float(q @ v)
    return float(np.abs(q - v).sum())


def higher_is_better(metric):
    return metric in ("cosine", "ip")


def rank(metric, docs, q, k, flt=None):
    best = []
    for d in docs:
        if flt and not flt(d["metadata"]):
            continue
        # Backends store float32: score the float32 values, in float64.
        scores = [(score(metric, q.astype(np.float32).astype(np.float64),
                         np.array(c["vector"], dtype=np.float32).astype(np.float64)), c["ordinal"])
                  for c in d["chunks"]]
        s = max(scores, key=lambda t: (t[0], -t[1])) if higher_is_better(metric) else min(scores)
        best.append((s[0], d["id"], s[1]))
    best.sort(key=lambda t: ((-t[0]) if higher_is_better(metric) else t[0], t[1]))
    gaps = [abs(a[0] - b[0]) for a, b in zip(best[:k + 1], best[1:k + 1])]
    return best[:k], (min(gaps) if gaps else 1.0)


def query(rng, metric, docs, dim, k, flt=None):
    """A random query whose top k+1 documents are separated by >= 1e-3."""
    while True:
        q = np.round(rng.uniform(-1, 1, dim), 2)
        top, gap = rank(metric, docs, q, k, flt)
        if gap >= 1e-3:
            return q, top


def main():
    rng = np.random.default_rng(20261126)
    dim = 8
    out_dir = os.path.join(HERE, "conformance")
    os.makedirs(out_dir, exist_ok=True)
    for metric in ("cosine", "l2", "ip", "l1"):
        docs = []
        for i in range(24):
            chunks = []
            for o in range(int(rng.integers(1, 4))):
                # Two decimals: exactly the same float32 in every backend.
                vec = np.round(rng.uniform(-1, 1, dim), 2)
                chunks.append({"ordinal": o, "text": f"chunk {o} of doc {i}", "vector": vec.tolist()})
            docs.append({
                "id": f"doc-{i:02d}",
                "text": f"document {i}",
                "metadata": {"city": CITIES[i % 4], "year": 2015 + i % 10, "rank": i},
                "chunks": chunks,
            })
        searches = []
        for j in range(4):
            k = [1, 5, 10, 30][j]
            q, top = query(rng, metric, docs, dim, k)
            searches.append({"vector": q.tolist(), "k": k,
                             "expect": {"ids": [t[1] for t in top], "scores": [t[0] for t in top],
                                        "ordinals": [t[2] for t in top]}})
        q, top = query(rng, metric, docs, dim, 3, lambda m: m["city"] == "Kaede" and m["year"] >= 2018)
        searches.append({"vector": q.tolist(), "k": 3,
                         "filter": {"city": "Kaede", "year": {"$gte": 2018}},
                         "expect": {"ids": [t[1] for t in top], "scores": [t[0] for t in top],
                                    "ordinals": [t[2] for t in top]}})
        other = {"cosine": "l2", "l2": "ip", "ip": "l1", "l1": "cosine"}[metric]
        q, top = query(rng, other, docs, dim, 5)
        searches.append({"vector": q.tolist(), "k": 5, "metric": other,
                         "expect": {"ids": [t[1] for t in top], "scores": [t[0] for t in top],
                                    "ordinals": [t[2] for t in top]}})
        case = {"description": f"24 documents with 1-3 chunks of 8 dims ranked by {metric}",
                "collection": {"dimension": dim, "metric": metric},
                "documents": docs, "searches": searches}
        with open(os.path.join(out_dir, f"rank_{metric}.json"), "w") as f:
            json.dump(case, f, indent=1, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
