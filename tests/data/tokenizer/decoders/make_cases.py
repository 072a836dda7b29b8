#!/usr/bin/env python3
"""Writes cases.in.jsonl: decoder objects x token lists to run through the
reference (tests/tokenizer/ref/decoder_ref.mjs turns it into cases.jsonl).
    python3 make_cases.py && node ../../../tokenizer/ref/decoder_ref.mjs cases.in.jsonl > cases.jsonl
"""
import json

DECODERS = [
    {"type": "WordPiece", "prefix": "##", "cleanup": True},
    {"type": "WordPiece", "prefix": "@@", "cleanup": False},
    {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
    {"type": "Metaspace", "replacement": "_", "prepend_scheme": "always"},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "ByteFallback"},
    {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0},
    {"type": "Strip", "content": "\u2581", "start": 2, "stop": 0},  # a "stop" cut can panic the reference
    {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
    {"type": "Replace", "pattern": {"String": "ab"}, "content": ""},
    {"type": "Replace", "pattern": {"Regex": "(?<!\\n)^ "}, "content": ""},
    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"},
    {"type": "Replace", "pattern": {"Regex": "x*"}, "content": "-"},
    {"type": "BPEDecoder", "suffix": "</w>"},
    {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": True},
    {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": False},
    {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
        {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"}, {"type": "Replace", "pattern": {"Regex": "\u2581"}, "content": " "},
        {"type": "Fuse"}, {"type": "Replace", "pattern": {"Regex": "(?<!\\n)^ "}, "content": ""}]},
]

TOKENS = [
    [],
    ["hello"],
    ["un", "##aff", "##able", ".", "do", "n't", "?", "i", "'m", "do", "not"],
    ["\u2581Hello", "\u2581world", "!", "\u2581\u2581x"],
    ["\u2581", "\u2581a\u2581b", "c\u2581"],
    ["Hello", "\u0120world", "\u010a", "\u00e3\u0123\u0124", "\u00e3\u0123"],
    ["caf", "\u00c3\u00a9", "not\u00a0mapped"],
    ["<0xE3>", "<0x81>", "<0x82>", "x", "<0xE3>", "<0x81>", "<0x41>", "<0x0a>", "<0x+A>", "<0xZZ>", "<0x41"],
    [" leading", "  two", "trail  "],
    ["\u2581\u2581both\u2581\u2581", "\u2581"],
    ["abab", "cabd", "ab"],
    ["line\n second", " start"],
    ["a  b", "\t", "x xx y"],
    ["hello</w>", "wor", "ld</w>", "</w>"],
    ["<pad>", "h", "h", "<pad>", "e", "l", "l", "<pad>", "l", "o", "|", "|", "w", "o", "<pad>", "."],
    ["\u2581I", "\u2581", "<0xE3>", "<0x81>", "<0x82>", "\u2581am", "<0xFF>"],
]


def main():
    with open("cases.in.jsonl", "w", encoding="utf-8") as f:
        for d in DECODERS:
            for t in TOKENS:
                f.write(json.dumps({"decoder": d, "tokens": t}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
