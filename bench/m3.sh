#!/bin/sh
# bge-m3's three outputs and cross-encoder reranking on full-size random-weight
# models (tools/modelgen): bge-m3's shape with its official heads
# (sparse_linear.pt, colbert_linear.pt in float16) and an XLM-R large
# sequence-classification model (bge-reranker-v2-m3's shape), FP32.
#   bench/m3.sh [BUILD_DIR (default build)] [SENTENCES (default 64)] [THREADS (default: all cores)] [DOCS (default 100000)]
# IMI_BENCH_PG_DSN (optional) adds PostgreSQL to section 4.
# Prints markdown tables, all measured in this one run:
#   1. imi embed throughput per output (dense, sparse, colbert, all) on JSTS sentences;
#   2. storage bytes per document for each output (ColBERT as float32, float16
#      and int8 with a per-vector scale) and the error of ColBERT scores when
#      the vectors are stored compactly;
#   3. reranking pairs/s through imi serve's /rerank beside dense sentences/s
#      through /embed on the same server;
#   4. search latency of mode m3 beside dense and hybrid search on one
#      collection of DOCS generated bge-m3-shaped documents (bench/m3_store_bench.cc;
#      no model runs), with storage bytes per output and compact ColBERT's error.
# The models take about 4.5 GB under BUILD_DIR/bench-m3 (made once).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-64}
threads=${3:-$(nproc)}
docs=${4:-100000}
shared=$root/../shared
py=/usr/bin/python3
imi=$build/imi
work=$build/bench-m3
tok=$shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json
model=$work/bge-m3-full
reranker=$work/reranker-full
mkdir -p "$work"

if [ ! -f "$model/sparse_linear.pt" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch xlmr --size full --seed 7 --tokenizer "$tok" \
    --out "$model" --pooling cls --normalize --m3 official --pt-dtype float16 --max-seq-length 512 --int8 >&2
fi
if [ ! -f "$reranker/onnx/model.onnx" ]; then
  "$py" "$root/tools/modelgen/modelgen.py" generate --arch xlmr --size full --seed 8 --tokenizer "$tok" \
    --out "$reranker" --classifier --max-seq-length 512 --int8 >&2
fi
"$py" - "$shared/data/jglue/jsts/valid-v1.3.json" "$n" "$work" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")][: int(sys.argv[2])]
with open(sys.argv[3] + "/sentences.txt", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(r["sentence1"] + "\n")
with open(sys.argv[3] + "/pairs.json", "w", encoding="utf-8") as f:
    json.dump([[r["sentence1"], r["sentence2"]] for r in rows], f, ensure_ascii=False)
PY
echo "models: bge-m3 shape (24 layers, hidden 1024, heads from .pt float16) and XLM-R large cross-encoder, FP32, random weights"
echo "sentences: $n from JSTS valid; threads: $threads; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### 1. Throughput per output (imi embed, length-sorted batches)"
echo
echo "| output | sentences/s | tokens/s | vs dense |"
echo "|---|---|---|---|"
dense_sps=""
for output in dense sparse colbert all; do
  "$imi" embed --model "$model" --variant fp32 --threads "$threads" --output "$output" \
    < "$work/sentences.txt" > "$work/out_$output.jsonl" 2> "$work/imi.err"
  summary=$(grep "inputs/s" "$work/imi.err")
  sps=$(echo "$summary" | sed 's/.*(\([0-9.]*\) inputs\/s.*/\1/')
  tps=$(echo "$summary" | sed 's/.*, \([0-9]*\) tokens\/s.*/\1/')
  [ -z "$dense_sps" ] && dense_sps=$sps
  echo "| $output | $sps | $tps | $("$py" -c "print(f'{$sps / $dense_sps:.2f}x')") |"
done
echo
echo "### 2. Storage per document and compact ColBERT vectors"
echo
"$py" - "$work/out_all.jsonl" "$work/pairs.json" "$model" "$imi" "$threads" <<'PY'
import json, subprocess, sys
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
dense = np.mean([len(r["embedding"]) for r in rows])
nnz = np.mean([len(r["sparse"]["indices"]) for r in rows])
vecs = np.mean([len(r["colbert"]) for r in rows])
dim = len(rows[0]["colbert"][0])
print("| output | per document (mean over the sentences) | bytes |")
print("|---|---|---|")
print(f"| dense float32 | {dense:.0f} floats | {dense * 4:.0f} |")
print(f"| dense float16 (halfvec) | {dense:.0f} halves | {dense * 2:.0f} |")
print(f"| sparse (int32 id + float32 weight) | {nnz:.1f} terms | {nnz * 8:.0f} |")
print(f"| ColBERT float32 | {vecs:.1f} vectors x {dim} | {vecs * dim * 4:.0f} |")
print(f"| ColBERT float16 | {vecs:.1f} vectors x {dim} | {vecs * dim * 2:.0f} |")
print(f"| ColBERT int8 + float32 scale per vector | {vecs:.1f} vectors x ({dim} + 4) | {vecs * (dim + 4):.0f} |")

# ColBERT scores of JSTS pairs (sentence1 -> sentence2) from the float32
# vectors and from the compact forms (the store's encodings: float16 rounding;
# int8 q = round(x / s), s = max|x| / 127 per vector).
pairs = json.load(open(sys.argv[2], encoding="utf-8"))
second = subprocess.run([sys.argv[4], "embed", "--model", sys.argv[3], "--variant", "fp32", "--threads", sys.argv[5],
                         "--output", "colbert"], input="\n".join(p[1] for p in pairs) + "\n", capture_output=True,
                        text=True, check=True).stdout.splitlines()
P = [np.array(json.loads(l)["colbert"], np.float32) for l in second]
Q = [np.array(r["colbert"], np.float32) for r in rows]
def f16(m): return m.astype(np.float16).astype(np.float32)
def i8(m):
    s = np.abs(m).max(axis=1, keepdims=True) / 127.0
    s[s == 0] = 1
    return np.round(m / s).clip(-127, 127) * s
def score(q, p): return float((q @ p.T).max(axis=1).mean())
exact = np.array([score(q, p) for q, p in zip(Q, P)])
print()
print("| ColBERT storage | max abs score error | mean abs score error | same best passage for each query |")
print("|---|---|---|---|")
for name, enc in (("float16", f16), ("int8 + scale", i8)):
    approx = np.array([score(q, enc(p)) for q, p in zip(Q, P)])
    # Rank agreement: for each query, the best passage among all second sentences.
    full = np.array([[score(q, p) for p in P] for q in Q])
    comp = np.array([[score(q, enc(p)) for p in P] for q in Q])
    agree = np.mean(full.argmax(axis=1) == comp.argmax(axis=1))
    err = np.abs(approx - exact)
    print(f"| {name} | {err.max():.2e} | {err.mean():.2e} | {agree * 100:.1f}% |")
PY
echo
echo "### 3. Reranking through imi serve (same server, same run)"
echo
"$imi" serve --model "$model" --variant fp32 --reranker "$reranker" --reranker-variant fp32 --threads "$threads" \
  --host 127.0.0.1 --port 0 --no-access-log 2> "$work/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
port=""
for i in $(seq 600); do
  port=$(sed -n 's/.*ready on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.err")
  [ -n "$port" ] && break
  sleep 1
done
[ -n "$port" ] || { cat "$work/serve.err" >&2; exit 1; }
"$py" - "$port" "$work/pairs.json" <<'PY'
import json, sys, threading, time, urllib.request
port, pairs = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())
# 4 clients; each request: one query with 8 passages (rerank) or the same 8 passages (embed).
jobs = [(pairs[i][0], [p[1] for p in pairs[i:i + 8]]) for i in range(0, len(pairs), 8)]
def run(kind):
    todo = list(jobs)
    lock = threading.Lock()
    def worker():
        while True:
            with lock:
                if not todo:
                    return
                q, texts = todo.pop()
            if kind == "rerank":
                post("/rerank", {"query": q, "texts": texts})
            else:
                post("/embed", {"texts": texts})
    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    return sum(len(t) for _, t in jobs) / (time.time() - start)
run("embed")  # warm-up
embed = run("embed")
rerank = run("rerank")
print("| route | items/s | |")
print("|---|---|---|")
print(f"| POST /embed (bge-m3 dense, the passages) | {embed:.2f} sentences/s | baseline |")
print(f"| POST /rerank (cross-encoder, query + passage pairs) | {rerank:.2f} pairs/s | {rerank / embed:.2f}x |")
PY
kill $serve_pid 2>/dev/null || true
wait $serve_pid 2>/dev/null || true
echo
echo "### 4. m3 search on $docs generated documents (embedded${IMI_BENCH_PG_DSN:+ and PostgreSQL})"
echo
rm -rf "$work/store-$docs"
"$build/bench/m3_store_bench" --dir "$work/store-$docs" ${IMI_BENCH_PG_DSN:+--pg "$IMI_BENCH_PG_DSN"} --docs "$docs"
