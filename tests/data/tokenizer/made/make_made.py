#!/usr/bin/env python3
"""Writes the project's own small tokenizer.json files (<name>/tokenizer.json)
that reach components the shared tokenizers do not use: Unigram with
Metaspace + RobertaProcessing, Split with a regex, Digits, Punctuation,
pair templates, left truncation with stride, left padding, BPE with
continuing_subword_prefix + end_of_word_suffix, BPE byte_fallback without
fuse_unk and with ignore_merges, WordPiece variants, Unigram byte_fallback.

Vocabularies are learnt here from ../corpus/corpus.jsonl with simple counting
(no network, fixed order), so the output is reproducible:
    python3 make_made.py
"""
import collections
import json
import math
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus():
    with open(os.path.join(HERE, "..", "corpus", "corpus.jsonl"), encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def words_of(texts):
    out = []
    for t in texts:
        out.extend(re.findall(r"\w+|[^\w\s]", t))
    return out


def added(tokens):
    return [{"id": i, "content": c, "single_word": False, "lstrip": c == "<mask>", "rstrip": False,
             "normalized": False, "special": True} for c, i in tokens]


def write(name, obj):
    os.makedirs(os.path.join(HERE, name), exist_ok=True)
    with open(os.path.join(HERE, name, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def unigram_vocab(texts, specials, size, with_bytes=False, min_char=2):
    chars = collections.Counter(ch for t in texts for ch in t.replace(" ", "\u2581"))
    subs = collections.Counter()
    for w in words_of(texts):
        w = "\u2581" + w
        for n in range(2, 7):
            for i in range(0, len(w) - n + 1):
                subs[w[i:i + n]] += 1
    total = sum(chars.values()) + sum(subs.values())
    pieces = [(c, n) for c, n in sorted(chars.items(), key=lambda x: (-x[1], x[0])) if n >= min_char]
    pieces += [(s, n) for s, n in sorted(subs.items(), key=lambda x: (-x[1], x[0])) if n >= 3][:size]
    vocab = [[s, 0.0] for s in specials]
    seen = set(specials)
    if with_bytes:
        for b in range(256):
            vocab.append(["<0x%02X>" % b, 0.0])
            seen.add(vocab[-1][0])
    for p, n in pieces:
        if p not in seen and not p.isspace():
            seen.add(p)
            vocab.append([p, round(math.log(n / total), 6)])
    return vocab


def train_bpe(words, merges_wanted, prefix="", suffix=""):
    def split(w):
        syms = [w[0]] + [prefix + c for c in w[1:]]
        syms[-1] = syms[-1] + suffix
        return syms
    counts = collections.Counter(words)
    seqs = {w: split(w) for w in counts}
    vocab = {}
    for syms in seqs.values():
        for s in syms:
            vocab.setdefault(s, len(vocab))
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for w, syms in seqs.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] += counts[w]
        if not pairs:
            break
        (a, b), n = max(pairs.items(), key=lambda x: (x[1], x[0]))
        if n < 2:
            break
        new = a + b[len(prefix):]
        merges.append((a, b))
        vocab.setdefault(new, len(vocab))
        for w, syms in seqs.items():
            i, out = 0, []
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            seqs[w] = out
    return vocab, merges


def main():
    texts = corpus()[:1500]

    # XLM-R style: Unigram + Metaspace + RobertaProcessing, left padding.
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = unigram_vocab(texts, specials, 6000)
    vocab.append(["<mask>", 0.0])
    write("xlmr-made", {
        "version": "1.0", "truncation": None,
        "padding": {"strategy": "BatchLongest", "direction": "Left", "pad_to_multiple_of": 8,
                    "pad_id": 1, "pad_type_id": 0, "pad_token": "<pad>"},
        "added_tokens": added([("<s>", 0), ("<pad>", 1), ("</s>", 2), ("<unk>", 3), ("<mask>", len(vocab) - 1)]),
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": True},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False}})

    # WordPiece behind Split(regex) + Digits + Punctuation, pair template,
    # left truncation with stride.
    words = [w.lower() for w in words_of(texts)]
    wc = collections.Counter(words)
    wp = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set("".join(words)))
    wp += chars + ["@@" + c for c in chars]
    wp += [w for w, n in sorted(wc.items(), key=lambda x: (-x[1], x[0])) if n >= 3 and len(w) > 1][:3000]
    sufs = collections.Counter(w[i:] for w in words for i in range(1, len(w)))
    wp += ["@@" + s for s, n in sorted(sufs.items(), key=lambda x: (-x[1], x[0])) if n >= 4][:1500]
    wp_vocab = {}
    for t in wp:
        wp_vocab.setdefault(t, len(wp_vocab))
    write("wordpiece-split-made", {
        "version": "1.0",
        "truncation": {"direction": "Left", "max_length": 24, "strategy": "LongestFirst", "stride": 4},
        "padding": None,
        "added_tokens": added([("[PAD]", 0), ("[UNK]", 1), ("[CLS]", 2), ("[SEP]", 3), ("[MASK]", 4)]),
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\s+|(?=\\p{Lu})"}, "behavior": "Removed", "invert": False},
            {"type": "Digits", "individual_digits": True},
            {"type": "Punctuation", "behavior": "Isolated"}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "@@", "cleanup": False},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "@@",
                  "max_input_chars_per_word": 12, "vocab": wp_vocab}})

    # BPE with continuing_subword_prefix + end_of_word_suffix, Whitespace,
    # BertProcessing, right truncation, fixed right padding.
    bpe_words = [w.lower() for w in words_of(texts)]
    vocab, merges = train_bpe(bpe_words, 800, prefix="##", suffix="</w>")
    for t in ["[UNK]", "[CLS]", "[SEP]", "[PAD]"]:
        vocab.setdefault(t, len(vocab))
    write("bpe-suffix-made", {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": 40, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": 48}, "direction": "Right", "pad_to_multiple_of": None,
                    "pad_id": vocab["[PAD]"], "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added([("[UNK]", vocab["[UNK]"]), ("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"]),
                               ("[PAD]", vocab["[PAD]"])]),
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                                                            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", vocab["[SEP]"]], "cls": ["[CLS]", vocab["[CLS]"]]},
        "decoder": {"type": "BPEDecoder", "suffix": "</w>"},
        "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": [a + " " + b for a, b in merges]}})

    # SentencePiece-style BPE: byte_fallback over a partial byte table,
    # unknowns not fused, ignore_merges, Prepend/Replace normalizer.
    sp_words = ["\u2581" + w for w in words_of(texts)]
    vocab, merges = train_bpe(sp_words, 1200)
    base = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in list(range(0x20, 0x80)) + [0xE3, 0x81, 0x82, 0x83]:
        base["<0x%02X>" % b] = len(base)
    for t in vocab:
        base.setdefault(t, len(base))
    rare = collections.Counter(ch for t in texts for ch in t)
    for t in [c for c, n in rare.items() if n < 3]:
        base.pop(t, None)  # rare characters go through byte fallback or unk
    base = {t: i for i, t in enumerate(base)}
    merges = [(a, b) for a, b in merges if a in base and b in base and a + b in base]
    whole = [w for w in sp_words if len(w) > 6][:50]
    for w in whole:
        base.setdefault(w, len(base))  # reachable only through ignore_merges
    write("bpe-bytefallback-made", {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added([("<unk>", 0), ("<s>", 1), ("</s>", 2)]),
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": True, "ignore_merges": True,
                  "vocab": base, "merges": [[a, b] for a, b in merges]}})

    # Unigram with byte_fallback, Metaspace prepend_scheme "first" without
    # split, WhitespaceSplit first; CTC-free decoder chain.
    specials = ["<unk>", "<s>", "</s>"]
    vocab = unigram_vocab(texts, specials, 3000, with_bytes=True, min_char=4)
    write("unigram-bytefallback-made", {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added([("<unk>", 0), ("<s>", 1), ("</s>", 2)]),
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}],
                           "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"},
                                                     {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}]},
        "model": {"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": True}})


if __name__ == "__main__":
    main()
