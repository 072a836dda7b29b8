#ifndef IMI_CRAWL_DECODE_H_
#define IMI_CRAWL_DECODE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::crawl {

// A fetched body turned into UTF-8, with where its charset came from.
struct DecodedBody {
  std::string text;     // valid UTF-8
  std::string charset;  // canonical name (crawl/charset.h)
  // "bom", "header", "meta", "detected" or "default" (nothing declared and
  // nothing detected: UTF-8 with replacement characters).
  std::string source;
  std::string declared;  // a declared charset that was overruled ("" if none)
  size_t replaced = 0;   // bytes that did not decode (now U+FFFD)
};

// The charset label of a Content-Type header value ("text/html;
// charset=Shift_JIS" -> "Shift_JIS"), or "".
std::string CharsetParameter(std::string_view content_type);

// The charset label of the first <meta charset> or <meta http-equiv=
// "Content-Type" content="...charset=..."> in the first 4096 bytes of an
// HTML page (read as ASCII), or "".
std::string MetaCharsetLabel(std::string_view html);

// Decodes `body` in this order: a byte order mark; the Content-Type
// header's charset; for HTML, <meta charset>; then detection (ISO-2022-JP
// escapes, valid UTF-8, ICU's detector checked by a clean decode, Shift_JIS
// or EUC-JP whichever decodes cleanly). A declared charset under which the
// body does not decode cleanly is overruled by a detected one that does
// (reported in `declared`). Never fails for bad bytes: they become U+FFFD.
// The BOM comes first, as in browsers (WHATWG Encoding): a page whose bytes
// start with a UTF-8 BOM is UTF-8 whatever its server says.
DecodedBody DecodeBody(std::string_view body, std::string_view content_type, bool html);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_DECODE_H_
