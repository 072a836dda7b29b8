#include "tokenizer/unicode_props.h"

#include <algorithm>
#include <iterator>

#include <utf8proc.h>

#include "base/utf8.h"

namespace imi::tokenizer::unicode {
namespace {

utf8proc_category_t Category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

struct AgeRange {
  char32_t first;
  char32_t last;
  int version;  // major * 10 + minor
};

constexpr AgeRange kAssignedSince9[] = {
#include "tokenizer/unicode_age_table.inc"
};

// The Unicode version (major * 10 + minor) that assigned `c` when that is 9.0
// or later; 0 for characters of older versions and unassigned ones.
int AgeSince9(char32_t c) {
  if (c < kAssignedSince9[0].first) return 0;
  const AgeRange* end = std::end(kAssignedSince9);
  const AgeRange* it = std::upper_bound(std::begin(kAssignedSince9), end, c,
                                        [](char32_t v, const AgeRange& r) { return v < r.first; });
  if (it == std::begin(kAssignedSince9)) return 0;
  --it;
  return c <= it->last ? it->version : 0;
}

// Unicode 8.0 and 9.0 data is today's data restricted to the characters those
// versions had, except for these few whose general category changed since.
constexpr char32_t kMnIn8Only[] = {0x1734};                        // Mc since 11.0
constexpr char32_t kMnSince8[] = {0x1885, 0x1886, 0xA9BD, 0x111C9};  // Lo, Mc, Mc, Po in 8.0
constexpr char32_t kPunctuationIn8Only[] = {0x166D, 0x111C9};       // So and Mn today
constexpr char32_t kMarkIn9Only[] = {0x1CF2, 0x1CF3};              // Lo today
constexpr char32_t kMarkSince9[] = {0x111C9};                      // Po in 9.0

template <size_t N>
bool In(const char32_t (&list)[N], char32_t c) {
  return std::find(std::begin(list), std::end(list), c) != std::end(list);
}

struct CodeRange {
  char32_t first;
  char32_t last;
};
struct CaseMapping {
  char32_t from;
  char32_t to;
};

// What the reference knows of characters utf8proc (Unicode 15.0) does not:
// \w of its regex crate (Unicode 16.0), char::is_numeric and
// char::to_lowercase of its Rust standard library (Unicode 17.0).
#define IMI_AFTER15_WORD(...) __VA_ARGS__,
#define IMI_AFTER15_NUMERIC(...)
#define IMI_AFTER15_LOWER(...)
constexpr CodeRange kWordAfter15[] = {
#include "tokenizer/unicode_after15_table.inc"
};
#undef IMI_AFTER15_WORD
#undef IMI_AFTER15_NUMERIC
#define IMI_AFTER15_WORD(...)
#define IMI_AFTER15_NUMERIC(...) __VA_ARGS__,
constexpr CodeRange kNumericAfter15[] = {
#include "tokenizer/unicode_after15_table.inc"
};
#undef IMI_AFTER15_NUMERIC
#undef IMI_AFTER15_LOWER
#define IMI_AFTER15_NUMERIC(...)
#define IMI_AFTER15_LOWER(...) __VA_ARGS__,
constexpr CaseMapping kLowercaseAfter15[] = {
#include "tokenizer/unicode_after15_table.inc"
};
#undef IMI_AFTER15_WORD
#undef IMI_AFTER15_NUMERIC
#undef IMI_AFTER15_LOWER

template <size_t N>
bool InRanges(const CodeRange (&ranges)[N], char32_t c) {
  for (const CodeRange& r : ranges) {
    if (c >= r.first && c <= r.last) return true;
  }
  return false;
}

bool Unassigned(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_CN; }

// Canonical decompositions excluded from composition after Unicode 3.0; NFC
// keeps them decomposed (utf8proc composes them back).
bool IsPostCompositionExclusion(char32_t c) {
  return c == 0x2ADC || (c >= 0x1D15E && c <= 0x1D164) || (c >= 0x1D1BB && c <= 0x1D1C0);
}

bool In8(char32_t c) { return c < kAssignedSince9[0].first || AgeSince9(c) == 0; }
bool In9(char32_t c) { return c < kAssignedSince9[0].first || AgeSince9(c) <= 90; }

}  // namespace

bool IsWhitespace(char32_t c) {
  // The White_Space property list (PropList.txt); it has been stable since
  // Unicode 6 and utf8proc does not expose it directly.
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsPunctuation(char32_t c) {
  if (In(kPunctuationIn8Only, c)) return true;
  if (!In8(c)) return false;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool IsOther(char32_t c) {
  if (!In8(c)) return false;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
      return true;
    default:
      return false;
  }
}

bool IsMarkNonspacing(char32_t c) {
  if (c < 0x300) return false;
  if (In(kMnIn8Only, c)) return true;
  if (In(kMnSince8, c) || !In8(c)) return false;
  return Category(c) == UTF8PROC_CATEGORY_MN;
}

bool IsCombiningMark(char32_t c) {
  if (c < 0x300) return false;
  if (In(kMarkIn9Only, c)) return true;
  if (In(kMarkSince9, c) || !In9(c)) return false;
  auto cat = Category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
         cat == UTF8PROC_CATEGORY_ME;
}

bool IsNumeric(char32_t c) {
  auto cat = Category(c);
  if (cat == UTF8PROC_CATEGORY_CN) return InRanges(kNumericAfter15, c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
         cat == UTF8PROC_CATEGORY_NO;
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (c == 0x200C || c == 0x200D) return true;  // Join_Control
  // Symbols that are Other_Alphabetic (circled and squared Latin letters).
  if ((c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149) ||
      (c >= 0x1F150 && c <= 0x1F169) || (c >= 0x1F170 && c <= 0x1F189)) {
    return true;
  }
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CN:
      return InRanges(kWordAfter15, c);
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

void AppendLowercase(char32_t c, std::vector<char32_t>* out) {
  if (c < 0x80) {
    out->push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  // The one unconditional multi-character lowercase mapping (SpecialCasing).
  if (c == 0x130) {
    out->push_back(0x69);
    out->push_back(0x307);
    return;
  }
  if (Unassigned(c)) {
    for (const CaseMapping& m : kLowercaseAfter15) {
      if (m.from == c) {
        out->push_back(m.to);
        return;
      }
    }
    out->push_back(c);
    return;
  }
  out->push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

void AppendDecomposition(char32_t c, bool compat, std::vector<char32_t>* out) {
  if (!In9(c)) {
    out->push_back(c);
    return;
  }
  utf8proc_int32_t buffer[32];
  int options = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
  utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 32,
                                               static_cast<utf8proc_option_t>(options), nullptr);
  if (n <= 0 || n > 32) {
    out->push_back(c);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out->push_back(static_cast<char32_t>(buffer[i]));
}

int CombiningClass(char32_t c) {
  if (c < 0x300 || !In9(c)) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

std::optional<char32_t> ComposePair(char32_t first, char32_t second) {
  if (!In9(first) || !In9(second)) return std::nullopt;
  utf8proc_int32_t buffer[2] = {static_cast<utf8proc_int32_t>(first),
                                static_cast<utf8proc_int32_t>(second)};
  utf8proc_ssize_t n = utf8proc_normalize_utf32(buffer, 2, UTF8PROC_COMPOSE);
  if (n == 1 && In9(static_cast<char32_t>(buffer[0])) &&
      !IsPostCompositionExclusion(static_cast<char32_t>(buffer[0]))) {
    return static_cast<char32_t>(buffer[0]);
  }
  return std::nullopt;
}

size_t GraphemeLength(std::string_view s, size_t pos) {
  size_t start = pos;
  utf8proc_int32_t state = 0;
  char32_t prev = utf8::Decode(s, &pos);
  while (pos < s.size()) {
    size_t next_pos = pos;
    char32_t next = utf8::Decode(s, &next_pos);
    if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                         static_cast<utf8proc_int32_t>(next), &state)) {
      break;
    }
    prev = next;
    pos = next_pos;
  }
  return pos - start;
}

}  // namespace imi::tokenizer::unicode
