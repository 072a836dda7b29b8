#ifndef IMI_CRAWL_CHARSET_H_
#define IMI_CRAWL_CHARSET_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace imi::crawl {

// Character sets through ICU (charset.cc is the only file that includes
// ICU). Names are the canonical ones imi reports: "UTF-8", "Shift_JIS"
// (decoded as Windows-31J, as browsers do), "EUC-JP", "ISO-2022-JP",
// "windows-1252", "UTF-16LE", "UTF-16BE", or another ICU name.

// The canonical name for a label found in a Content-Type header or a
// <meta> ("sjis", "x-sjis", "cp932", "ms932", "windows-31j" -> "Shift_JIS";
// "ascii", "latin1", "iso-8859-1" -> "windows-1252", as the WHATWG Encoding
// standard maps them), or "" when ICU does not know the label.
std::string CanonicalCharset(std::string_view label);

// `bytes` converted from `charset` (a canonical name) to UTF-8. Bytes that
// do not decode become U+FFFD; *replaced (if not null) counts them.
// InvalidArgument when ICU has no converter for the name.
Result<std::string> ConvertToUtf8(std::string_view bytes, const std::string& charset, size_t* replaced);

// Whether `bytes` decode in `charset` without a single invalid sequence.
bool DecodesCleanly(std::string_view bytes, const std::string& charset);

// ICU's charset detector restricted to what Japanese sites use: returns
// "Shift_JIS", "EUC-JP", "ISO-2022-JP", "UTF-8" or "" when it has no
// confident answer (confidence below 10 of 100).
std::string DetectCharset(std::string_view bytes);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_CHARSET_H_
