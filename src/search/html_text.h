#ifndef IMI_SEARCH_HTML_TEXT_H_
#define IMI_SEARCH_HTML_TEXT_H_

#include <string>
#include <string_view>

namespace imi::search {

// Visible text of an HTML page: script, style, template and noscript
// content and comments dropped, tags removed (block tags become line
// breaks), common entities decoded, blank runs collapsed.
struct HtmlText {
  std::string title;  // <title>, whitespace-collapsed
  std::string url;    // <link rel="canonical"> or <meta property="og:url">
  std::string text;
};

// Never fails: malformed markup degrades to text. Thread-safe.
HtmlText ExtractHtmlText(std::string_view html);

}  // namespace imi::search

#endif  // IMI_SEARCH_HTML_TEXT_H_
