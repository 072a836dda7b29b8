#include <algorithm>
#include <string>
#include <vector>

#include "text/normalize.h"
#include "text/utf8_codec.h"

namespace imi::text {

namespace {

std::vector<char32_t> DecodeAll(std::string_view utf8) {
  std::vector<char32_t> cps;
  cps.reserve(utf8.size());
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = p + utf8.size();
  while (p < end) cps.push_back(internal::DecodeLenient(&p, end));
  return cps;
}

std::string EncodeAll(const std::vector<char32_t>& cps) {
  std::string out(cps.size() * 4, '\0');
  size_t n = 0;
  for (char32_t c : cps) n += internal::EncodeUtf8(c, out.data() + n);
  out.resize(n);
  return out;
}

}  // namespace

std::string ShortenRepeat(std::string_view utf8, int threshold, int max_repeat_substr_length) {
  if (threshold <= 0) return std::string(utf8);
  std::vector<char32_t> t = DecodeAll(utf8);
  const auto limit = static_cast<long>(max_repeat_substr_length);
  const auto copies_kept = static_cast<size_t>(threshold);
  for (size_t i = 0; i < t.size(); ++i) {
    // As in neologdn, the bound on unit lengths comes from the length at the
    // start of position i, even when a cut below shortens the text.
    long upper = static_cast<long>(t.size() - i) / 2;
    if (limit != 0 && limit < upper) upper = limit + 1;
    for (long unit_long = 1; unit_long < upper; ++unit_long) {
      const auto unit = static_cast<size_t>(unit_long);
      // Cheap rejection first: a second copy must start with the same code point.
      if (i + 2 * unit > t.size() || t[i] != t[i + unit]) continue;
      size_t copies = 1;
      size_t next = i + unit;
      while (next + unit <= t.size() &&
             std::equal(t.begin() + i, t.begin() + i + unit, t.begin() + next)) {
        ++copies;
        next += unit;
      }
      if (copies > copies_kept) {
        t.erase(t.begin() + i + unit * copies_kept, t.begin() + i + unit * copies);
      }
    }
  }
  return EncodeAll(t);
}

}  // namespace imi::text
