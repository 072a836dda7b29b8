#ifndef IMI_TEXT_SEGMENT_H_
#define IMI_TEXT_SEGMENT_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace imi::text {

// Documents longer than this are tokenised piece by piece when they are cut
// into chunks (the tokenizer's working memory grows with its input: about
// 100 bytes per byte), by the HTTP upsert and `imi index` alike.
inline constexpr size_t kTokenizeSegmentBytes = 64 * 1024;

// Cuts `text` into consecutive pieces of at most `max_bytes` (max_bytes >= 4)
// that cover it exactly. Each piece ends after the last line break within
// its reach, else after the last sentence end (。．！？ or . ! ? followed by
// a space), else after the last space, else at the last character boundary,
// so that cuts fall where tokens rarely span. Invalid UTF-8 is cut between
// bytes like any character.
std::vector<std::string_view> SegmentForTokenizing(std::string_view text, size_t max_bytes = kTokenizeSegmentBytes);

}  // namespace imi::text

#endif  // IMI_TEXT_SEGMENT_H_
