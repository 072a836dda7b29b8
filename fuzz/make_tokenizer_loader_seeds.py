#!/usr/bin/env python3
"""Writes small tokenizer.json seeds (< 4 KB each, libFuzzer's -max_len) for
the tokenizer_loader fuzzer into fuzz/seeds/tokenizer_loader/, one per
combination of model, normalizer, pre-tokenizer and post-processor.
    python3 fuzz/make_tokenizer_loader_seeds.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "tokenizer_loader")
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c", "ab", "##b", "##c", "hello", "world", "東", "京",
         "\u2581", "\u2581a", "\u0120", "\u0120a", "1", "2"]

def added(names):
    return [{"id": WORDS.index(n), "content": n, "single_word": i == 1, "lstrip": i == 2, "rstrip": i == 3,
             "normalized": i % 2 == 0, "special": True} for i, n in enumerate(names)]

MODELS = {
    "wordpiece": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {w: i for i, w in enumerate(WORDS)}},
    "bpe": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": False,
            "vocab": {w: i for i, w in enumerate(WORDS)}, "merges": ["a b", "\u0120 a"]},
    "unigram": {"type": "Unigram", "unk_id": 1, "byte_fallback": False,
                "vocab": [[w, -float(i % 7) - 1.0] for i, w in enumerate(WORDS)]},
    "wordlevel": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": {w: i for i, w in enumerate(WORDS)}},
}
NORMALIZERS = [
    None,
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
    {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True}]},
    {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Replace", "pattern": {"Regex": "(?<!\\n)^"}, "content": "\u2581"}]},
]
PRE_TOKENIZERS = [
    None,
    {"type": "BertPreTokenizer"},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
    {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Digits", "individual_digits": True},
                                           {"type": "Punctuation", "behavior": "Isolated"},
                                           {"type": "Split", "pattern": {"Regex": "\\p{Han}+"}, "behavior": "Isolated", "invert": False}]},
]
POST = [
    None,
    {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
    {"type": "RobertaProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2], "trim_offsets": True, "add_prefix_space": True},
    {"type": "TemplateProcessing",
     "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
     "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
     "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
    {"type": "Sequence", "processors": [{"type": "ByteLevel", "trim_offsets": True}, {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}]},
]
DECODERS = [None, {"type": "WordPiece", "prefix": "##", "cleanup": True},
            {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}, {"type": "Fuse"}]}]

os.makedirs(OUT, exist_ok=True)
n = 0
for mi, (mname, model) in enumerate(MODELS.items()):
    for i in range(len(NORMALIZERS)):
        j = (i + mi) % len(PRE_TOKENIZERS)
        k = (i + 2 * mi) % len(POST)
        doc = {
            "version": "1.0",
            "truncation": None if i % 2 else {"direction": "Left" if i % 3 else "Right", "max_length": 6, "strategy": "LongestFirst", "stride": 1},
            "padding": None if i % 2 == 0 else {"strategy": {"Fixed": 8} if i % 3 else "BatchLongest", "direction": "Left", "pad_to_multiple_of": 4, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
            "added_tokens": added(["[PAD]", "[UNK]", "[CLS]", "[SEP]"]),
            "normalizer": NORMALIZERS[i], "pre_tokenizer": PRE_TOKENIZERS[j], "post_processor": POST[k],
            "decoder": DECODERS[(i + mi) % len(DECODERS)], "model": model,
        }
        text = json.dumps(doc, ensure_ascii=False)
        assert len(text.encode()) < 4096, (mname, i, len(text))
        with open(os.path.join(OUT, f"{mname}_{i}.json"), "w", encoding="utf-8") as f:
            f.write(text)
        n += 1
print(f"wrote {n} seeds to {OUT}")
