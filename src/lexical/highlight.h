#ifndef IMI_LEXICAL_HIGHLIGHT_H_
#define IMI_LEXICAL_HIGHLIGHT_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"
#include "base/result.h"

namespace imi::lexical {

// A stretch of text that matched the query, in code points [start, end).
struct Highlight {
  size_t start = 0;
  size_t end = 0;
};

// The stretches of `text` whose terms under `analyzer` are in `terms`,
// merged where they touch or overlap (bigrams of one word become one
// stretch), in order. Offsets count Unicode code points of `text`.
Result<std::vector<Highlight>> FindHighlights(const analysis::Analyzer& analyzer, std::string_view text,
                                              const std::set<std::string>& terms);

}  // namespace imi::lexical

#endif  // IMI_LEXICAL_HIGHLIGHT_H_
