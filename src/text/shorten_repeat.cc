#include <algorithm>
#include <cstdint>
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

// Remembers, per unit length L, a stretch of the text with period L: every
// p in [from, mismatch) has t[p] == t[p - L], and t[mismatch] differs from
// t[mismatch - L] (or mismatch is the end). Counting the copies of a unit then
// costs O(1) at most positions instead of a scan of the whole run, which
// keeps long runs under a high threshold linear. Any cut invalidates all.
class PeriodMemo {
 public:
  PeriodMemo(const std::vector<char32_t>* text, size_t max_unit)
      : t_(*text), spans_(max_unit + 1) {}

  // First p >= start with t[p] != t[p - unit], or the text's size.
  // Requires unit <= start <= size and unit <= max_unit.
  size_t FirstMismatch(size_t unit, size_t start) {
    Span& span = spans_[unit];
    if (span.generation == generation_ && span.from <= start && start <= span.mismatch) {
      return span.mismatch;
    }
    size_t p = start;
    while (p < t_.size() && t_[p] == t_[p - unit]) ++p;
    span = Span{start, p, generation_};
    return p;
  }

  void Invalidate() { ++generation_; }

 private:
  struct Span {
    size_t from = 0;
    size_t mismatch = 0;
    uint64_t generation = 0;
  };
  const std::vector<char32_t>& t_;
  std::vector<Span> spans_;
  uint64_t generation_ = 1;
};

}  // namespace

std::string ShortenRepeat(std::string_view utf8, int threshold, int max_repeat_substr_length) {
  // A negative cap leaves no unit length to try, as in neologdn.
  if (threshold <= 0 || max_repeat_substr_length < 0) return std::string(utf8);
  std::vector<char32_t> t = DecodeAll(utf8);
  const auto limit = static_cast<size_t>(max_repeat_substr_length);
  const auto copies_kept = static_cast<size_t>(threshold);
  const size_t max_unit = limit != 0 ? std::min(limit, t.size() / 2) : t.size() / 2;
  PeriodMemo memo(&t, max_unit);
  for (size_t i = 0; i < t.size(); ++i) {
    // As in neologdn, the bound on unit lengths comes from the length at the
    // start of position i, even when a cut below shortens the text.
    size_t upper = (t.size() - i) / 2;
    if (limit != 0 && limit < upper) upper = limit + 1;
    for (size_t unit = 1; unit < upper; ++unit) {
      // Cheap rejection first: a second copy must start with the same code point.
      if (i + 2 * unit > t.size() || t[i] != t[i + unit]) continue;
      // Copies of t[i, i+unit) back to back = 1 + whole units of period `unit`
      // after the first copy.
      const size_t copies = 1 + (memo.FirstMismatch(unit, i + unit) - (i + unit)) / unit;
      if (copies > copies_kept) {
        t.erase(t.begin() + i + unit * copies_kept, t.begin() + i + unit * copies);
        memo.Invalidate();
      }
    }
  }
  return EncodeAll(t);
}

}  // namespace imi::text
