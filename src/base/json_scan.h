#ifndef IMI_BASE_JSON_SCAN_H_
#define IMI_BASE_JSON_SCAN_H_

#include <cstddef>
#include <string_view>

namespace imi {

// Byte offset in `json` where arrays/objects first nest deeper than
// `max_depth` levels, or npos. A linear scan that understands strings and
// escapes and nothing else, so it runs before a parser (or a recursive
// serialiser) could recurse that deep; malformed JSON is the parser's
// business.
size_t FindJsonNestingDeeperThan(std::string_view json, size_t max_depth);

}  // namespace imi

#endif  // IMI_BASE_JSON_SCAN_H_
