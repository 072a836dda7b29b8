#ifndef IMI_SEARCH_HTML_LEXER_H_
#define IMI_SEARCH_HTML_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace imi::search {

// The pieces of HTML that imi's text extractors read: runs of text and
// tags. Not a full HTML5 tokenizer: comments, doctypes and processing
// instructions are dropped; the contents of script, style, template and
// noscript are skipped whole (no tokens); everything else is reported as
// written. Malformed markup degrades: a '<' without a later '>' ends the
// input, as does a skipped element that is never closed. Linear time.

enum class HtmlTokenKind { kText, kStartTag, kEndTag };

struct HtmlToken {
  HtmlTokenKind kind = HtmlTokenKind::kText;
  std::string name;         // tags: lower-case name ("" for e.g. "<!DOCTYPE>")
  std::string_view source;  // tags: the source between '<' and '>'; text: the raw text (entities not decoded)
  bool self_closing = false;  // tags written "<x ... />"
};

// Reads tokens from `html` (which must outlive the lexer). Not thread-safe;
// one lexer per page.
class HtmlLexer {
 public:
  explicit HtmlLexer(std::string_view html) : html_(html) {}
  // The next token, or false at the end of the input.
  bool Next(HtmlToken* token);

 private:
  std::string_view html_;
  size_t pos_ = 0;
};

// The value of attribute `name` (lower-case) in a tag's source, as written
// (entities not decoded), or "" when absent.
std::string HtmlAttribute(std::string_view tag_source, std::string_view name);
// Decodes character references: numeric ones and the common named ones
// (amp, lt, gt, quot, apos, nbsp, copy, reg, yen, hellip, ...). A reference
// must end with ';' within 10 bytes; anything else stays as written.
std::string DecodeHtmlEntities(std::string_view text);
// Collapses spaces and tabs within lines, trims lines, drops empty lines.
std::string TidyText(std::string_view text);
// Whether a tag starts a new line of text (p, div, li, h1..h6, td, br, ...).
bool IsHtmlBlockTag(std::string_view name);

}  // namespace imi::search

#endif  // IMI_SEARCH_HTML_LEXER_H_
