#!/usr/bin/python3
"""Writes the mixed-language test corpus (one text per line) from JSICK's test
split in the shared data directory: Japanese, English, both joined (long
inputs that get truncated), and a few odd ones (emoji, full-width, symbols).

  corpus.py --jsick ../shared/data/jsick/jsick/test.tsv --out corpus.txt [--rows 170]
"""
import argparse
import csv
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jsick", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rows", type=int, default=170)
    args = p.parse_args()
    texts = []
    with open(args.jsick, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[: args.rows]
    for i, r in enumerate(rows):
        ja, en = r["sentence_A_Ja"].strip(), r["sentence_A_En"].strip()
        texts += [ja, en]
        if i % 2 == 0:
            texts.append(f"{ja} ({en})")
        else:
            # Long inputs: several sentences joined, beyond 128 tokens.
            texts.append(" ".join([r["sentence_B_Ja"].strip(), r["sentence_B_En"].strip()] * 8))
    texts += ["東京タワー🗼は３３３ｍです！", "Ｈｅｌｌｏ　ｗｏｒｌｄ", "a", "。", "C++20 と ONNX Runtime 1.21"]
    with open(args.out, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(t.replace("\n", " ") + "\n")
    print(f"corpus: {len(texts)} texts -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
