// libFuzzer target for charset decoding (crawl/decode.h, ICU): any bytes
// with any declared label decode to valid UTF-8 with a known source; the
// first byte picks the Content-Type label to try.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "crawl/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kTypes[] = {"text/html", "text/html; charset=Shift_JIS", "text/html; charset=euc-jp",
                                 "text/plain; charset=iso-2022-jp", "text/html; charset=utf-8", "",
                                 "text/html; charset=x-unknown", "text/plain; charset=utf-16"};
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string type = kTypes[data[0] % (sizeof(kTypes) / sizeof(kTypes[0]))];
  const imi::crawl::DecodedBody decoded = imi::crawl::DecodeBody(body, type, (data[0] & 8) != 0);
  if (imi::utf8::FindInvalid(decoded.text) != std::string_view::npos) std::abort();
  const std::string& s = decoded.source;
  if (s != "bom" && s != "header" && s != "meta" && s != "detected" && s != "default") std::abort();
  if (decoded.charset.empty()) std::abort();
  return 0;
}
