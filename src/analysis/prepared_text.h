#ifndef IMI_ANALYSIS_PREPARED_TEXT_H_
#define IMI_ANALYSIS_PREPARED_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/normalize.h"

namespace imi::analysis {

// Text as analysers see it: neologdn-normalised valid UTF-8 (invalid input
// bytes become U+FFFD), with the input bytes behind each of its bytes.
class PreparedText {
 public:
  // Normalises `input` with neologdn's defaults (no repeat shortening).
  explicit PreparedText(std::string_view input);

  const std::string& text() const { return text_; }
  // Input bytes [begin, end) behind prepared bytes [begin, end); begin < end <= text().size().
  text::SourceSpan Source(uint32_t begin, uint32_t end) const;

 private:
  std::string text_;
  std::vector<text::SourceSpan> spans_;
};

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_PREPARED_TEXT_H_
