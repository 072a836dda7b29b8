#include "tokenizer/onig_regex.h"

#include <cstdio>
#include <mutex>

#include <oniguruma.h>

#include "base/utf8.h"

namespace imi::tokenizer {
namespace {

void InitializeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[1] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

struct RegionDeleter {
  void operator()(OnigRegion* r) const { onig_region_free(r, 1); }
};

std::string EscapeLiteral(std::string_view literal) {
  std::string out;
  out.reserve(literal.size() * 2);
  for (char c : literal) {
    if (std::string_view("\\.+*?()|[]{}^$#&-~ \t\n\r\f\v/").find(c) != std::string_view::npos) {
      if (c == '\t') { out += "\\t"; continue; }
      if (c == '\n') { out += "\\n"; continue; }
      if (c == '\r') { out += "\\r"; continue; }
      if (c == '\f') { out += "\\f"; continue; }
      if (c == '\v') { out += "\\v"; continue; }
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

struct CategoryRange {
  std::string_view category;
  char32_t first;
  char32_t last;
};

constexpr CategoryRange kUnicode16Additions[] = {
#define IMI_ONIG16(category, first, last) {category, first, last},
#include "tokenizer/onig_unicode16_table.inc"
#undef IMI_ONIG16
};

// Debian 12's Oniguruma (6.9.8) lacks the Unicode 15.0 and 16.0 additions the
// reference's bundled one has: \p{X}, \P{X} and \p{^X} of a general category
// in the table become a class that also holds them, so both see the same
// letters, marks and digits.
std::string WithUnicode16Categories(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c != '\\' || i + 1 >= pattern.size()) {
      out.push_back(c);
      continue;
    }
    const char next = pattern[i + 1];
    if ((next == 'p' || next == 'P') && i + 2 < pattern.size() && pattern[i + 2] == '{') {
      const size_t close = pattern.find('}', i + 3);
      if (close != std::string_view::npos) {
        std::string_view name = pattern.substr(i + 3, close - (i + 3));
        bool negated = next == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.remove_prefix(1);
        }
        std::string extra;
        for (const CategoryRange& r : kUnicode16Additions) {
          if (r.category != name) continue;
          char range[40];
          std::snprintf(range, sizeof(range), "\\x{%X}-\\x{%X}", static_cast<unsigned>(r.first),
                        static_cast<unsigned>(r.last));
          extra += range;
        }
        if (!extra.empty()) {
          out += negated ? "[^\\p{" : "[\\p{";
          out.append(name);
          out += "}";
          out += extra;
          out += "]";
          i = close;
          continue;
        }
      }
    }
    // Any other escape is copied whole: \\p{L} is a backslash and then text.
    out.push_back(c);
    out.push_back(next);
    ++i;
  }
  return out;
}

}  // namespace

OnigRegex::~OnigRegex() { onig_free(static_cast<regex_t*>(regex_)); }

Result<std::unique_ptr<OnigRegex>> OnigRegex::Compile(std::string_view pattern) {
  InitializeOnce();
  if (utf8::FindInvalid(pattern) != std::string_view::npos) {
    return Status::InvalidArgument("regex pattern is not valid UTF-8");
  }
  regex_t* regex = nullptr;
  OnigErrorInfo info;
  const std::string compiled = WithUnicode16Categories(pattern);
  const auto* begin = reinterpret_cast<const OnigUChar*>(compiled.data());
  int rc = onig_new(&regex, begin, begin + compiled.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                    ONIG_SYNTAX_DEFAULT, &info);
  if (rc != ONIG_NORMAL) {
    OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(message, rc, &info);
    return Status::InvalidArgument("invalid regex '" + std::string(pattern) +
                                   "': " + reinterpret_cast<char*>(message));
  }
  return std::make_unique<OnigRegex>(Key(), regex);
}

Result<std::unique_ptr<OnigRegex>> OnigRegex::Literal(std::string_view literal) {
  return Compile(EscapeLiteral(literal));
}

std::vector<PatternPiece> OnigRegex::FindMatches(std::string_view s) const {
  std::vector<PatternPiece> out;
  if (s.empty()) {
    out.push_back({{0, 0}, false});
    return out;
  }
  std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
  const auto* str = reinterpret_cast<const OnigUChar*>(s.data());
  const OnigUChar* end = str + s.size();
  size_t prev = 0;
  size_t last_end = 0;
  bool has_last_match_end = false;
  size_t last_match_end = 0;
  // The onig crate's find_iter: search from the end of the previous match;
  // an empty match right where the previous match ended is skipped by
  // advancing one character.
  while (last_end <= s.size()) {
    onig_region_clear(region.get());
    int r = onig_search(static_cast<regex_t*>(regex_), str, end, str + last_end, end, region.get(),
                        ONIG_OPTION_NONE);
    if (r < 0) break;
    size_t ms = static_cast<size_t>(region->beg[0]);
    size_t me = static_cast<size_t>(region->end[0]);
    if (ms == me && has_last_match_end && last_match_end == me) {
      if (last_end >= s.size()) break;
      size_t pos = last_end;
      utf8::Decode(s, &pos);
      last_end = pos;
      continue;
    }
    last_end = me;
    has_last_match_end = true;
    last_match_end = me;
    if (prev != ms) out.push_back({{prev, ms}, false});
    out.push_back({{ms, me}, true});
    prev = me;
    if (ms == me && me >= s.size()) break;
  }
  if (prev != s.size()) out.push_back({{prev, s.size()}, false});
  return out;
}

bool OnigRegex::Search(std::string_view s) const {
  std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
  const auto* str = reinterpret_cast<const OnigUChar*>(s.data());
  return onig_search(static_cast<regex_t*>(regex_), str, str + s.size(), str, str + s.size(),
                     region.get(), ONIG_OPTION_NONE) >= 0;
}

}  // namespace imi::tokenizer
