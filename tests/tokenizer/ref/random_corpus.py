#!/usr/bin/env python3
"""Seeded generator of hostile-but-valid text for the live tokenizer parity test.

    python3 random_corpus.py SEED N > out.jsonl
    IMI_LIVE_CORPUS=out.jsonl ctest -L live

Prints N lines {"text": ...}. The same SEED always gives the same lines. Lines
mix Japanese (kana, kanji, half-width katakana, full-width ASCII, U+3000, long
vowel marks, wave dashes), Latin with precomposed and combining accents,
Hangul syllables and jamo, Thai, Devanagari, Arabic, letters and digits of
Unicode 14.0-17.0, emoji sequences (ZWJ,
skin tones, variation selectors, flags, tags, keycaps), digits of many
scripts, every Unicode white space and control character, format characters,
unassigned, noncharacter and private-use code points, very long words,
repeated punctuation and look-alikes of special tokens.

Lone surrogates (U+D800..U+DFFF) are never produced: JSON text read by
JavaScript would carry them as UTF-16 halves while the C++ side cannot hold
them in UTF-8, so both sides would not see the same input.
"""
import json
import random
import sys


def cps(*ranges):
    """Code points of inclusive ranges as one list."""
    out = []
    for lo, hi in ranges:
        out.extend(range(lo, hi + 1))
    return out


HIRAGANA = cps((0x3041, 0x3096), (0x3099, 0x309F))
KATAKANA = cps((0x30A0, 0x30FF), (0x31F0, 0x31FF))
HALFWIDTH_KANA = cps((0xFF61, 0xFF9F))
KANJI = cps((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
            (0x2E80, 0x2EF3), (0x2F00, 0x2FD5), (0x3005, 0x3007), (0x3021, 0x3029))
FULLWIDTH_ASCII = cps((0xFF01, 0xFF5E), (0xFFE0, 0xFFE6))
JA_MARKS = [0x30FC, 0xFF70, 0x301C, 0xFF5E, 0x3030, 0x007E, 0x2053, 0x223C, 0x2015, 0x2212, 0xFF0D, 0x30FB,
            0xFF65, 0x3001, 0x3002, 0xFF61, 0xFF64, 0x300C, 0x300D, 0x3000, 0x309B, 0x309C, 0xFF9E, 0xFF9F,
            0x3099, 0x309A, 0x303B, 0x3031, 0x3032, 0x33FF, 0x3300, 0x337B, 0x32FF, 0x2460, 0x3251]
LATIN = cps((0x0041, 0x005A), (0x0061, 0x007A))
LATIN_ACCENTED = cps((0x00C0, 0x00FF), (0x0100, 0x017F), (0x0180, 0x024F), (0x1E00, 0x1EFF), (0x0250, 0x02AF),
                     (0xFB00, 0xFB06))
COMBINING = cps((0x0300, 0x036F), (0x1AB0, 0x1ACE), (0x1DC0, 0x1DFF), (0x20D0, 0x20F0), (0xFE20, 0xFE2F))
HANGUL = cps((0xAC00, 0xD7A3))
JAMO = cps((0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97C), (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB),
           (0xFFA0, 0xFFDC))
THAI = cps((0x0E01, 0x0E3A), (0x0E3F, 0x0E5B))
DEVANAGARI = cps((0x0900, 0x097F), (0xA8E0, 0xA8FF))
ARABIC = cps((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFBC2), (0xFE70, 0xFEFC))
GREEK_CYRILLIC = cps((0x0370, 0x03FF), (0x0400, 0x04FF), (0x1F00, 0x1FFF))
OTHER_SCRIPTS = cps((0x0590, 0x05FF), (0x0980, 0x09FF), (0x0B80, 0x0BFF), (0x10A0, 0x10FF), (0x1200, 0x137F),
                    (0x1780, 0x17FF), (0x13A0, 0x13FF), (0x1D400, 0x1D7FF), (0x10400, 0x1044F))
# Scripts and letters of Unicode 14.0-17.0 (newer than some of imi's data).
NEWER = cps((0x0870, 0x089F), (0x1C89, 0x1C8A), (0xA7C0, 0xA7DC), (0x10D40, 0x10D85), (0x11380, 0x113E2),
            (0x11F00, 0x11F59), (0x16D40, 0x16D79), (0x16EA0, 0x16EB8), (0x1E5D0, 0x1E5FA), (0x1DF00, 0x1DF2A),
            (0x2EBF0, 0x2EC40), (0x31350, 0x31400), (0x11DE0, 0x11DE9), (0x1CCF0, 0x1CCF9))
DIGITS = cps((0x0030, 0x0039), (0xFF10, 0xFF19), (0x0660, 0x0669), (0x06F0, 0x06F9), (0x0966, 0x096F),
             (0x09E6, 0x09EF), (0x0E50, 0x0E59), (0x1040, 0x1049), (0x17E0, 0x17E9), (0x1D7CE, 0x1D7FF),
             (0x2070, 0x2079), (0x2080, 0x2089), (0x00B2, 0x00B3), (0x00B9, 0x00B9), (0x2150, 0x218B),
             (0x2460, 0x249B), (0x24EA, 0x24FF), (0x2776, 0x2793), (0x3220, 0x3229), (0x3280, 0x3289),
             (0x1F100, 0x1F10C), (0x104A0, 0x104A9), (0x0BE6, 0x0BF2))
PUNCT = cps((0x0021, 0x002F), (0x003A, 0x0040), (0x005B, 0x0060), (0x007B, 0x007E), (0x00A1, 0x00BF),
            (0x2010, 0x2027), (0x2030, 0x205E), (0x3001, 0x3003), (0x3008, 0x3020), (0x3030, 0x303F),
            (0xFE10, 0xFE19), (0xFE30, 0xFE6B), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2500, 0x257F),
            (0x2600, 0x26FF), (0x0E2F, 0x0E2F), (0x055A, 0x055F), (0x060C, 0x060D), (0x1800, 0x180A))
# Every code point with White_Space=yes, plus the format characters that look
# like space (ZWSP, ZWNJ, ZWJ, WJ, BOM, Mongolian vowel separator, ...).
WHITESPACE = cps((0x0009, 0x000D), (0x0020, 0x0020), (0x0085, 0x0085), (0x00A0, 0x00A0), (0x1680, 0x1680),
                 (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000))
FORMAT = cps((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
             (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
             (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0xE0001, 0xE0001),
             (0xE0020, 0xE007F), (0xE0100, 0xE01EF), (0x1D173, 0x1D17A))
CONTROL = cps((0x0000, 0x0008), (0x000E, 0x001F), (0x007F, 0x009F))
UNASSIGNED = [0x0378, 0x0379, 0x0380, 0x0383, 0x038B, 0x0530, 0x05FF, 0x0B00, 0x1AFF, 0x2B74, 0x2FFC,
              0x312F, 0x9FFF + 0x0, 0xA7CB, 0xFFEF, 0x1FAFF, 0x2FFFF, 0x3FFFD, 0x50000, 0x7ABCD, 0xDFFFD,
              0xE0000, 0xE0002, 0xE01F0, 0x1F8FF, 0x18D09, 0x10FFD]
NONCHARACTERS = cps((0xFDD0, 0xFDEF)) + [0xFFFE, 0xFFFF, 0x1FFFE, 0x1FFFF, 0x10FFFE, 0x10FFFF]
PRIVATE_USE = cps((0xE000, 0xE0FF), (0xF800, 0xF8FF), (0xF0000, 0xF00FF), (0x10FF00, 0x10FFFD))
REPLACEMENT = [0xFFFD, 0xFFFC]

EMOJI_BASE = cps((0x1F600, 0x1F64F), (0x1F300, 0x1F3FA), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF),
                 (0x2600, 0x27BF), (0x1FA70, 0x1FAFF))
PEOPLE = [0x1F466, 0x1F467, 0x1F468, 0x1F469, 0x1F9D1, 0x1F44D, 0x1F44B, 0x1F46E, 0x1F3C3, 0x270C, 0x261D]
SKIN = cps((0x1F3FB, 0x1F3FF))
ZWJ_TAILS = [0x1F4BB, 0x2764, 0x1F525, 0x1F308, 0x2640, 0x2642, 0x1F9B0, 0x1F680, 0x2695, 0x1F466, 0x1F467]
REGIONAL = cps((0x1F1E6, 0x1F1FF))

# Strings that special tokens are made of, and near misses of them.
SPECIAL_LIKE = ["<s>", "</s>", "<unk>", "<pad>", "<mask>", "[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]",
                "<|endoftext|>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "<|placeholder3|>",
                "<extra_id_0>", "<extra_id_99>", "<extra_id_100>", "<EOD|LLM-jp>", "<s|LLM-jp>",
                "<unk|LLM-jp>", "<0x41>", "<0xE3>", "<0x0A>", "▁", "▁▁", "Ġ", "Ċ", "##", "@@", "</w>",
                "[cls]", "[Mask]", "<S>", "< s>", "<s >", "[ CLS]", "[CLS", "CLS]", "<mask", "mask>", "<<s>>",
                "[[MASK]]", "<s></s>", "[CLS][SEP]", "<|endoftext|", "|endoftext|>", "＜ｓ＞", "［ＣＬＳ］",
                "<ｓ>", "<mask>\u0301", "\u3000<mask>\u3000", "<unk>\u200b", "[UNK]\ufe0f"]

WORDS = ["東京", "日本語", "トークナイザ", "こんにちは", "ｶﾀｶﾅ", "ＡＢＣ", "café", "naïve", "Straße", "İstanbul",
         "ǅemal", "ﬁnance", "안녕", "สวัสดี", "नमस्ते", "مرحبا", "שלום", "Привет", "Ωμέγα", "hello", "WORLD",
         "e-mail", "don't", "O'Neil", "U.S.A.", "3.14", "1,000", "10^9", "https://例え.jp/パス?q=1",
         "user@example.com", "#hashtag", "@mention", "C++", "a_b_c", "x86_64", "ℌ𝔢𝔩𝔩𝔬", "ｗｗｗ", "〜です", "～よ"]


def ch(c):
    return chr(c)


def run(rng, pool, lo, hi):
    return "".join(ch(rng.choice(pool)) for _ in range(rng.randint(lo, hi)))


def latin_combining(rng):
    out = []
    for _ in range(rng.randint(1, 12)):
        out.append(ch(rng.choice(LATIN + LATIN_ACCENTED)))
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 5])):
            out.append(ch(rng.choice(COMBINING)))
    return "".join(out)


def emoji(rng):
    kind = rng.randint(0, 7)
    if kind == 0:
        return ch(rng.choice(EMOJI_BASE))
    if kind == 1:
        return ch(rng.choice(PEOPLE)) + ch(rng.choice(SKIN))
    if kind == 2:  # ZWJ sequence, sometimes with skin tones and VS16
        parts = []
        for _ in range(rng.randint(2, 5)):
            p = ch(rng.choice(PEOPLE + ZWJ_TAILS))
            if rng.random() < 0.3:
                p += ch(rng.choice(SKIN))
            if rng.random() < 0.3:
                p += "\ufe0f"
            parts.append(p)
        return "\u200d".join(parts)
    if kind == 3:  # flags, sometimes an odd number of regional indicators
        return "".join(ch(rng.choice(REGIONAL)) for _ in range(rng.randint(1, 5)))
    if kind == 4:  # tag sequence (subdivision flags)
        return "\U0001F3F4" + "".join(ch(0xE0061 + rng.randint(0, 25)) for _ in range(rng.randint(2, 6))) + "\U000E007F"
    if kind == 5:  # keycap
        return rng.choice("0123456789#*") + rng.choice(["\ufe0f\u20e3", "\u20e3", "\ufe0e"])
    if kind == 6:  # text/emoji presentation selectors on anything
        return ch(rng.choice(EMOJI_BASE + LATIN + HIRAGANA)) + rng.choice(["\ufe0e", "\ufe0f", "\ufe0f\ufe0f"])
    return ch(rng.choice(SKIN)) + ch(rng.choice(EMOJI_BASE))  # a lone modifier first


def special_like(rng):
    s = rng.choice(SPECIAL_LIKE)
    style = rng.randint(0, 5)
    word = rng.choice(WORDS)
    if style == 0:
        return s
    if style == 1:
        return " " + s + " "
    if style == 2:
        return word + s + word
    if style == 3:
        return s + word
    if style == 4:
        return word + s
    return s * rng.randint(2, 4)


def long_word(rng):
    pool = rng.choice([LATIN, HIRAGANA, KATAKANA, KANJI, HANGUL, THAI, DIGITS[:10], LATIN_ACCENTED,
                       HALFWIDTH_KANA, ARABIC])
    n = rng.choice([60, 101, 128, 200, 333, 700])
    if rng.random() < 0.5:
        return ch(rng.choice(pool)) * n
    return run(rng, pool, n, n)


def repeated_punct(rng):
    p = rng.choice(["!", "?", ".", "-", "…", "、", "。", "・", "ー", "〜", "～", "—", "=", "*", "#", "_", "~",
                    "'", "\"", "<", ">", "/", "\\", "()", "[]", "「」", "！？", "..."])
    return p * rng.randint(2, 40)


def unusual(rng):
    pool = rng.choice([WHITESPACE, FORMAT, CONTROL, UNASSIGNED, NONCHARACTERS, PRIVATE_USE, REPLACEMENT])
    return run(rng, pool, 1, 4)


FRAGMENTS = [
    (6, lambda r: run(r, HIRAGANA, 1, 12)),
    (5, lambda r: run(r, KATAKANA, 1, 10)),
    (4, lambda r: run(r, HALFWIDTH_KANA, 1, 10)),
    (6, lambda r: run(r, KANJI, 1, 8)),
    (3, lambda r: run(r, FULLWIDTH_ASCII, 1, 10)),
    (4, lambda r: run(r, JA_MARKS, 1, 4)),
    (4, lambda r: run(r, HIRAGANA + KATAKANA + KANJI + JA_MARKS + HALFWIDTH_KANA + FULLWIDTH_ASCII, 2, 20)),
    (5, lambda r: run(r, LATIN, 1, 12)),
    (4, latin_combining),
    (3, lambda r: run(r, HANGUL, 1, 6)),
    (2, lambda r: run(r, JAMO, 1, 6)),
    (2, lambda r: run(r, THAI, 1, 10)),
    (2, lambda r: run(r, DEVANAGARI, 1, 10)),
    (2, lambda r: run(r, ARABIC, 1, 10)),
    (2, lambda r: run(r, GREEK_CYRILLIC + OTHER_SCRIPTS, 1, 8)),
    (2, lambda r: run(r, NEWER + LATIN, 1, 8)),
    (4, emoji),
    (3, lambda r: run(r, DIGITS, 1, 8)),
    (3, lambda r: run(r, PUNCT, 1, 5)),
    (5, unusual),
    (4, special_like),
    (4, lambda r: r.choice(WORDS)),
    (1, long_word),
    (2, repeated_punct),
]
FRAGMENT_WEIGHTS = [w for w, _ in FRAGMENTS]
JOINERS = [" ", " ", " ", "", "", "  ", "\t", "\n", "\u3000", "\u00a0", "\r\n", " \u200b "]
EMPTYISH = ["", " ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u2028", "\u0085",
            "\x00", " \x00 ", "\u200d", "\ufe0f", "\u0301", "\u3099", "▁", " ▁ "]


def line(rng):
    if rng.random() < 0.03:
        return rng.choice(EMPTYISH) * rng.randint(1, 3)
    n = rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 12])
    parts = [rng.choices(FRAGMENTS, FRAGMENT_WEIGHTS)[0][1](rng) for _ in range(n)]
    text = "".join(p + rng.choice(JOINERS) for p in parts[:-1]) + parts[-1]
    if rng.random() < 0.15:
        text = ch(rng.choice(WHITESPACE + [0x200B, 0xFEFF])) * rng.randint(1, 3) + text
    if rng.random() < 0.15:
        text = text + ch(rng.choice(WHITESPACE + [0x200B, 0xFEFF])) * rng.randint(1, 3)
    return text


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: random_corpus.py SEED N > out.jsonl")
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    out = sys.stdout
    for _ in range(n):
        text = line(rng)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
