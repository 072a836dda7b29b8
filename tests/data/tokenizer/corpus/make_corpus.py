#!/usr/bin/env python3
"""Builds corpus.jsonl: the project's own tokenizer test corpus (no network).

Each line is {"text": ...}. The generator mixes hand-written fragments in
every script and width the tokenizers must handle (hiragana, katakana,
half-width kana, kanji, full-width ASCII, dakuten forms, English, Chinese,
Korean, emoji with ZWJ and skin tones, combining marks, control characters,
unusual spaces, URLs, code) with a fixed seed, so the output is reproducible:

    python3 make_corpus.py > corpus.jsonl
"""
import json
import random

HIRAGANA = ["きょうは いい てんき ですね", "わたしは がくせい です", "おちゃを のみましょう",
            "ありがとうございました", "ぱぴぷぺぽ ばびぶべぼ", "ゔぁいおりん", "ゝゞゟ ゐゑ"]
KATAKANA = ["コンピューター", "プログラミング言語", "ヴァイオリン", "ポケットモンスター",
            "データベース・サーバー", "ヰヱヲ", "ー～ヽヾ"]
HALFWIDTH = ["ﾊﾝｶｸｶﾀｶﾅ", "ｶﾞｷﾞｸﾞｹﾞｺﾞ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "ｳﾞｧｲｵﾘﾝ", "ｱｲｳｴｵ｡｢ｶｷ｣､･ｰ", "ﾃﾞｰﾀ ﾍﾞｰｽ"]
KANJI = ["東京都千代田区に住んでいます。", "日本語の自然言語処理は難しい。", "機械学習と深層学習",
         "𠮷野家で牛丼を食べた", "𩸽を焼く", "髙橋さんと﨑山さん", "令和六年十二月三十一日", "丽 U+2F800 互換漢字"]
FULLWIDTH = ["ＡＢＣＤＥＦ ａｂｃｄｅｆ", "１２３４５６７８９０", "！？＃＄％＆（）＝", "ＴＯＫＹＯ　２０２４", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ"]
DAKUTEN = ["か\u3099き\u3099く\u3099", "は\u309aひ\u309a", "ウ\u3099", "ｶﾞ ｶ\uff9e ﾊ\uff9f", "が ぎ ぐ げ ご",
           "\u309b\u309c 単独の濁点"]
ENGLISH = ["The quick brown fox jumps over the lazy dog.", "Hello, world! How's it going?",
           "I can't believe it's not butter.", "Tokenizers split text into sub-word units.",
           "UPPERCASE lowercase MiXeD cAsE", "e-mail, co-operate, state-of-the-art",
           "Mr. O'Neil paid $1,234.56 for 3.5kg (approx.)", "naïve café résumé coöperate façade"]
CHINESE = ["我爱自然语言处理。", "今天天气很好，我们去公园吧！", "中华人民共和国", "繁體中文與简体中文", "机器学习模型"]
KOREAN = ["안녕하세요, 반갑습니다.", "한국어 텍스트 처리", "서울특별시 강남구", "ㄱㄴㄷㄹ ㅏㅑㅓㅕ", "\u1100\u1161\u11a8 조합형 한글"]
EMOJI = ["👨\u200d👩\u200d👧\u200d👦 family", "👍🏽 👍🏿 👋🏻", "🏳\ufe0f\u200d🌈 flag", "🇯🇵🇺🇸🇰🇷 flags", "❤\ufe0f 💔 ✨",
         "🧑🏽\u200d💻 coder", "😀😃😄😁😆 smileys", "1\ufe0f\u20e3 keycap"]
COMBINING = ["e\u0301 a\u0300 o\u0302 u\u0308", "n\u0303o\u0303", "Z\u0351\u0353a\u0352l\u0354g\u0355o\u0356",
             "\u0301 leading mark", "क्षत्रिय देवनागरी", "ﾞ ﾟ standalone", "Å vs A\u030a"]
CONTROL = ["tab\there", "bell\u0007char", "nul\u0000byte", "esc\u001b[0m seq", "form\u000cfeed",
           "line\nbreak", "carriage\rreturn", "del\u007fchar", "soft\u00adhyphen", "bom\ufeffmark"]
SPACES = ["nbsp\u00a0space", "ideographic\u3000space", "thin\u2009space", "nel\u0085line", "zwsp\u200bhere",
          "en\u2002em\u2003spaces", "line\u2028separator", "para\u2029separator", "narrow\u202fnbsp",
          "zwnj\u200cjoin\u200d", "  leading and trailing  "]
URLS = ["https://example.com/path/to/page?query=1&lang=ja#section", "http://日本語.jp/パス",
        "mailto:someone@example.org", "ftp://files.example.net/pub/file-1.2.3.tar.gz",
        "https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC", "user@例え.テスト"]
CODE = ["def f(x):\n    return x ** 2  # square", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "SELECT * FROM users WHERE id = 42;", "const x = () => { console.log(\"hi\"); };",
        "<div class=\"a\">テキスト</div>", "if err != nil { return err }", "x=1;y=2;z=x+y",
        "{\"key\": [1, 2, 3], \"値\": null}", "#include <iostream>", "    indented\tcode\t\tblock"]
NUMBERS = ["3.14159", "1,000,000", "２０２４年", "①②③", "Ⅰ Ⅱ Ⅲ Ⅳ", "½ ¼ ¾", "10^9", "0x1F", "007"]
PUNCT = ["「こんにちは」と言った。", "『本』【注意】〈括弧〉《二重》", "……！？", "―――", "-------------------------",
         "...!!!???", "¿Qué? ¡Sí!", "“smart quotes” ‘single’", "a—b–c", "※★☆♪→←↑↓"]

# Lines that once differed from the reference (found by ../../../tokenizer/ref/random_corpus.py):
# its character data is Unicode 8.0 (categories), 9.0 (normalization), 16.0
# (regex \w) and 17.0 (std lowercase/is_numeric), not one version.
REGRESSIONS = [
    "1,000 \ufddb\n\u067b \ufdd0[CLS]\uffff x\U0010FFFF",   # noncharacters are not "other" (kept, not cleaned)
    "\u1e51\u1dfa\u1dee\ufe2a\u030f s\u025c\u1ab4\u1ac1\u0301\u0316y",  # marks newer than 9.0: no class, no strip
    "~\u32ff \u4ee4\u548c \U0001F16A\u3300",                     # U+32FF (12.1) has no NFKC mapping in 9.0
    "\u2adc \U0001D15E\U0001D15F \U0001D1BB\U0001D1C0 \u2add\u0338",  # composition exclusions stay decomposed
    "\u166d \U000111C9 \u1885\u1886 \ua9bd \u1734 \u1cf2\u1cf3 x\u08d4",  # categories changed since 8.0/9.0
    "\u0897 \u1c89\u1c8a \ua7cbk \ua7dcB \U00010D50\U00010D70 \U00016EA0x \U0002EBF0",  # Unicode 15.1-17 letters
    "\U00010D40\U00010D41 \U00011DE0 \U00016FF4 42 \u0e50\u0e51",  # digits newer than 15.0
    "\U000E0001 tag \U000E0020\U000E007F \ue000\U000F0000\U0010FFFD pua",  # format and private use
]

GROUPS = [HIRAGANA, KATAKANA, HALFWIDTH, KANJI, FULLWIDTH, DAKUTEN, ENGLISH, CHINESE, KOREAN, EMOJI,
          COMBINING, CONTROL, SPACES, URLS, CODE, NUMBERS, PUNCT]
JOINERS = [" ", "", "、", "。", " - ", "\u3000", ", ", "\t", "  "]


def main():
    rng = random.Random(20261126)
    lines = []
    # Every fragment alone once.
    for group in GROUPS:
        lines.extend(group)
    # Edge lines.
    lines.extend(["", " ", "   ", "\t", "\u3000", "\u00a0", "\u200b", "\n", "a", "あ", "ｱ", "👍🏽", "\u0301"])
    # Mixed lines of 1-6 fragments from random groups.
    while len(lines) < 3200:
        parts = []
        for _ in range(rng.randint(1, 6)):
            parts.append(rng.choice(rng.choice(GROUPS)))
        lines.append(rng.choice(JOINERS).join(parts))
    # Very long lines (> 2000 characters).
    for k in range(12):
        parts = []
        while sum(len(p) for p in parts) < 2100 + 300 * k:
            parts.append(rng.choice(rng.choice(GROUPS)))
        lines.append(" ".join(parts))
    lines.append("あ" * 2500)
    lines.append("a" * 2500)
    lines.append("-" * 2100)
    lines.extend(REGRESSIONS)
    for text in lines:
        print(json.dumps({"text": text}, ensure_ascii=False))


if __name__ == "__main__":
    main()
