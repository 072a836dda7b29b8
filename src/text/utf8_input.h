#ifndef IMI_TEXT_UTF8_INPUT_H_
#define IMI_TEXT_UTF8_INPUT_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace imi::text {

// OK when `text` is valid UTF-8 (rules of base/utf8.h); otherwise
// InvalidArgument "invalid UTF-8 at byte offset N" with N the 0-based offset
// of the first bad byte. Thread-safe.
Status CheckUtf8(std::string_view text);

// Copy of `text` with every byte of an invalid sequence replaced by U+FFFD,
// ready for Normalize. Thread-safe.
std::string ReplaceInvalidUtf8(std::string_view text);

}  // namespace imi::text

#endif  // IMI_TEXT_UTF8_INPUT_H_
