#include "text/utf8_input.h"

#include "base/utf8.h"

namespace imi::text {

Status CheckUtf8(std::string_view text) {
  const size_t bad = utf8::FindInvalid(text);
  if (bad == std::string_view::npos) return Status::Ok();
  return Status::InvalidArgument("invalid UTF-8 at byte offset " + std::to_string(bad));
}

std::string ReplaceInvalidUtf8(std::string_view text) {
  if (utf8::FindInvalid(text) == std::string_view::npos) return std::string(text);
  return utf8::ReplaceInvalid(text);
}

}  // namespace imi::text
