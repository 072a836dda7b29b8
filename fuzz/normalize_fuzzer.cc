// libFuzzer target for the normaliser: arbitrary bytes, options taken from
// the first two bytes. Checks that Normalize never fails on raw bytes and,
// on replaced (valid) input, that the output is valid UTF-8, has no more code
// points than the input, equals NormalizeInto with a reused buffer, and is a
// fixed point of a second pass wherever neologdn itself is idempotent, and
// that the memoised repeat shortening equals a plain rescanning one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "text/normalize.h"
#include "text/utf8_input.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

imi::text::NormalizeOptions OptionsFrom(uint8_t a, uint8_t b) {
  imi::text::NormalizeOptions options;
  options.repeat = a & 3;
  options.remove_space = (a & 4) == 0;
  options.tilde = static_cast<imi::text::TildeMode>((a >> 3) & 3);
  options.max_repeat_substr_length = b % 13;
  return options;
}

// neologdn's shorten_repeat written the plain way (rescans every run), to
// cross-check the memoised ShortenRepeat on valid UTF-8.
std::string PlainShortenRepeat(std::string_view utf8, int threshold, int max_len) {
  std::vector<char32_t> t;
  for (size_t pos = 0; pos < utf8.size();) t.push_back(imi::utf8::Decode(utf8, &pos));
  for (size_t i = 0; i < t.size(); ++i) {
    long upper = static_cast<long>(t.size() - i) / 2;
    if (max_len != 0 && max_len < upper) upper = max_len + 1;
    for (long unit = 1; unit < upper; ++unit) {
      const auto u = static_cast<size_t>(unit);
      size_t copies = 1;
      while (i + (copies + 1) * u <= t.size() &&
             std::equal(t.begin() + i, t.begin() + i + u, t.begin() + i + copies * u)) {
        ++copies;
      }
      if (copies > static_cast<size_t>(threshold)) {
        t.erase(t.begin() + i + u * threshold, t.begin() + i + u * copies);
      }
    }
  }
  std::string out;
  for (char32_t c : t) imi::utf8::Append(&out, c);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const imi::text::NormalizeOptions options = OptionsFrom(data[0], data[1]);
  const std::string_view raw(reinterpret_cast<const char*>(data + 2), size - 2);

  // Raw bytes, invalid sequences included: must simply not crash.
  const std::string from_raw = imi::text::Normalize(raw, options);
  Check(from_raw.size() <= raw.size() * 3);

  const std::string input = imi::text::ReplaceInvalidUtf8(raw);
  const std::string out = imi::text::Normalize(input, options);
  Check(imi::utf8::FindInvalid(out) == std::string_view::npos);
  Check(imi::utf8::CountCodePoints(out) <= imi::utf8::CountCodePoints(input));

  std::string reused = "leftover text from an earlier call";
  imi::text::NormalizeInto(input, options, &reused);
  Check(reused == out);

  if (options.repeat > 0) {
    imi::text::NormalizeOptions no_repeat = options;
    no_repeat.repeat = 0;
    const std::string base = imi::text::Normalize(input, no_repeat);
    Check(out == imi::text::ShortenRepeat(base, options.repeat, options.max_repeat_substr_length));
    Check(out == PlainShortenRepeat(base, options.repeat, options.max_repeat_substr_length));
  }

  // neologdn is idempotent with repeat off, except that with remove_space off
  // only one of several trailing spaces goes per pass, and a U+FEFF exposed at
  // the start goes on the next pass.
  if (options.repeat == 0) {
    const bool known_exception = (!options.remove_space && !out.empty() && out.back() == ' ') ||
                                 out.rfind("\xEF\xBB\xBF", 0) == 0;
    if (!known_exception) Check(imi::text::Normalize(out, options) == out);
  }
  return 0;
}
