#!/usr/bin/env python3
"""Writes a tokenizer.json the size of XLM-R's (250,002 Unigram pieces, ~17-20 MB,
indented as transformers saves it) from the 32k XLM-R-style stand-in in ../shared:
the same normalizer, pre-tokenizer, post-processor and added tokens, the 32k real
pieces first, then pieces made by joining two of them (scores below the real
ones, so real text still tokenises with the real pieces first). XLM-R's own file
cannot be downloaded here; its cost to load is in its size and piece count.
    xlmr_sized_tokenizer.py SOURCE_TOKENIZER_JSON OUT_TOKENIZER_JSON [PIECES]"""
import json
import random
import sys

source, out = sys.argv[1], sys.argv[2]
pieces = int(sys.argv[3]) if len(sys.argv) > 3 else 250002
tok = json.load(open(source, encoding="utf-8"))
vocab = tok["model"]["vocab"]
seen = {p for p, _ in vocab}
base = [p for p, _ in vocab[4:] if len(p) <= 6]
rng = random.Random(20261205)
lowest = min(s for _, s in vocab)
while len(vocab) < pieces:
    a, b = rng.choice(base), rng.choice(base).lstrip("\u2581")
    piece = a + b
    if piece in seen or not b:
        continue
    seen.add(piece)
    vocab.append([piece, lowest - 1.0 - rng.random() * 8.0])
with open(out, "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False, indent=2)
print(f"{out}: {len(vocab)} pieces")
