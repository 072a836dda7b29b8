#ifndef IMI_TEXT_CHAR_TABLE_H_
#define IMI_TEXT_CHAR_TABLE_H_

// Character classes of the normaliser, built at compile time into read-only
// tables (no initialisation at run time, safe from any thread). Internal to
// src/text/.

#include <array>
#include <cstdint>

namespace imi::text::internal {

// What the normaliser does with a character before its context rules run.
enum class CharKind : uint8_t {
  kPlain = 0,  // copied as is
  kSpace,      // U+0020 or U+3000: subject to the space rules
  kHyphen,     // becomes '-', runs collapse
  kChoonpu,    // becomes 'ー' (U+30FC), runs collapse
  kTilde,      // handled per TildeMode
  kMapped,     // replaced by a single other code point
};

// Kind and replacement of one code point, packed as kind << 24 | target.
using PackedRule = uint32_t;

inline constexpr char32_t kKatakanaChoonpu = 0x30FC;
inline constexpr char32_t kHalfwidthVoicedMark = 0xFF9E;      // ﾞ
inline constexpr char32_t kHalfwidthSemiVoicedMark = 0xFF9F;  // ﾟ

// Pages (code point >> 8) of the BMP that hold any rule.
inline constexpr std::array<uint8_t, 9> kRulePages = {0x00, 0x02, 0x05, 0x20, 0x22,
                                                      0x25, 0x30, 0xFE, 0xFF};

// Two-level table over the BMP: page_slot picks one of the 256-entry pages.
struct RuleTable {
  std::array<uint8_t, 256> page_slot{};  // 0: page without rules
  std::array<std::array<PackedRule, 256>, kRulePages.size() + 1> pages{};
};

// Composition of a kana with a following ﾞ (voiced) or ﾟ (semi-voiced).
struct VoicingTable {
  // Indexed by code point - 0x3040 (hiragana and katakana blocks); 0 = none.
  std::array<char16_t, 0xC0> voiced{};
  std::array<char16_t, 0xC0> semi_voiced{};
};

constexpr PackedRule Pack(CharKind kind, char32_t target) {
  return (static_cast<PackedRule>(kind) << 24) | target;
}

constexpr void SetRule(RuleTable& t, char32_t cp, CharKind kind, char32_t target = 0) {
  uint8_t slot = 0;
  for (size_t k = 0; k < kRulePages.size(); ++k) {
    if (kRulePages[k] == (cp >> 8)) slot = static_cast<uint8_t>(k + 1);
  }
  // A code point on a page missing from kRulePages fails constant evaluation.
  if (slot == 0) throw "rule outside kRulePages";
  t.page_slot[cp >> 8] = slot;
  t.pages[slot][cp & 0xFF] = Pack(kind, target);
}

constexpr RuleTable BuildRuleTable() {
  RuleTable t{};
  for (char32_t cp : {U' ', U'\u3000'}) SetRule(t, cp, CharKind::kSpace);
  for (char32_t cp : {U'\u02D7', U'\u058A', U'\u2010', U'\u2011', U'\u2012', U'\u2013', U'\u2043',
                      U'\u207B', U'\u208B', U'\u2212'}) {
    SetRule(t, cp, CharKind::kHyphen);
  }
  for (char32_t cp : {U'\uFE63', U'\uFF0D', U'\uFF70', U'\u2014', U'\u2015', U'\u2500', U'\u2501',
                      U'\u30FC'}) {
    SetRule(t, cp, CharKind::kChoonpu);
  }
  for (char32_t cp : {U'~', U'\u223C', U'\u223E', U'\u301C', U'\u3030', U'\uFF5E'}) {
    SetRule(t, cp, CharKind::kTilde);
  }
  // Full-width ASCII forms, except the four neologdn keeps (＂＇＼｀) and the
  // two classified above (－ is a choonpu, ～ a tilde).
  for (char32_t cp = 0xFF01; cp <= 0xFF5E; ++cp) {
    if (cp == 0xFF02 || cp == 0xFF07 || cp == 0xFF3C || cp == 0xFF40 || cp == 0xFF0D ||
        cp == 0xFF5E) {
      continue;
    }
    SetRule(t, cp, CharKind::kMapped, cp - 0xFEE0);
  }
  SetRule(t, U'\u201C', CharKind::kMapped, U'"');
  SetRule(t, U'\u201D', CharKind::kMapped, U'"');
  SetRule(t, U'\u2019', CharKind::kMapped, U'\'');
  SetRule(t, U'\u2018', CharKind::kMapped, U'`');
  SetRule(t, U'\u00A5', CharKind::kMapped, U'\\');
  // Full-width voicing marks become the half-width ones, which may compose.
  SetRule(t, U'\u309B', CharKind::kMapped, kHalfwidthVoicedMark);
  SetRule(t, U'\u309C', CharKind::kMapped, kHalfwidthSemiVoicedMark);
  // Half-width punctuation and katakana U+FF61..U+FF9D, in code point order
  // (U+FF70 ｰ is a choonpu and stays out of this list's effect).
  constexpr char16_t kHalfwidthTargets[] =
      u"。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノ"
      u"ハヒフヘホマミムメモヤユヨラリルレロワン";
  static_assert(sizeof(kHalfwidthTargets) / sizeof(char16_t) == 0xFF9D - 0xFF61 + 2);
  for (char32_t k = 0; k + 0xFF61 <= 0xFF9D; ++k) {
    if (k + 0xFF61 == 0xFF70) continue;
    SetRule(t, k + 0xFF61, CharKind::kMapped, kHalfwidthTargets[k]);
  }
  return t;
}

constexpr VoicingTable BuildVoicingTable() {
  VoicingTable t{};
  // Voiced forms follow their base directly, except ウ/う whose voiced forms
  // are far away.
  for (char16_t base : u"カキクケコサシスセソタチツテトハヒフヘホ") {
    if (base != 0) t.voiced[base - 0x3040] = static_cast<char16_t>(base + 1);
  }
  t.voiced[u'ウ' - 0x3040] = u'ヴ';
  t.voiced[u'う' - 0x3040] = u'ゔ';
  for (char16_t base : u"ハヒフヘホはひふへほ") {
    if (base != 0) t.semi_voiced[base - 0x3040] = static_cast<char16_t>(base + 2);
  }
  return t;
}

inline constexpr RuleTable kRuleTable = BuildRuleTable();
inline constexpr VoicingTable kVoicingTable = BuildVoicingTable();

// Rule of a code point (0 = plain for anything without one, above the BMP too).
inline PackedRule LookupRule(char32_t cp) {
  if (cp >= 0x10000) return 0;
  return kRuleTable.pages[kRuleTable.page_slot[cp >> 8]][cp & 0xFF];
}

// Unpacks a rule's kind and, for kMapped, its replacement code point.
inline CharKind KindOf(PackedRule rule) { return static_cast<CharKind>(rule >> 24); }
inline char32_t TargetOf(PackedRule rule) { return rule & 0xFFFFFF; }

// Composed form of `base` + ﾞ (or ﾟ when semi), or 0 when `base` takes none.
inline char32_t Compose(char32_t base, bool semi) {
  const char32_t k = base - 0x3040;
  if (k >= 0xC0) return 0;
  return semi ? kVoicingTable.semi_voiced[k] : kVoicingTable.voiced[k];
}

// neologdn's "blocks": CJK unified ideographs, hiragana, katakana, CJK
// symbols and punctuation from U+3001 (U+3000 excluded), half/full-width forms.
inline bool InJapaneseBlocks(char32_t c) {
  return (c - 0x4E00u) < 0x5200u || (c - 0x3001u) < 0xFFu || (c - 0xFF00u) < 0xF0u;
}

}  // namespace imi::text::internal

#endif  // IMI_TEXT_CHAR_TABLE_H_
