#include "tokenizer/onig_regex.h"

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

}  // namespace

OnigRegex::~OnigRegex() { onig_free(static_cast<regex_t*>(regex_)); }

Result<std::unique_ptr<OnigRegex>> OnigRegex::Compile(std::string_view pattern) {
  InitializeOnce();
  if (utf8::FindInvalid(pattern) != std::string_view::npos) {
    return Status::InvalidArgument("regex pattern is not valid UTF-8");
  }
  regex_t* regex = nullptr;
  OnigErrorInfo info;
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
  int rc = onig_new(&regex, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
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
