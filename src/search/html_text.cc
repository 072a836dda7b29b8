#include "search/html_text.h"

#include <algorithm>
#include <cctype>

#include "search/html_lexer.h"

namespace imi::search {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

HtmlText ExtractHtmlText(std::string_view html) {
  HtmlText result;
  std::string raw, title;
  bool in_title = false;
  HtmlLexer lexer(html);
  HtmlToken token;
  while (lexer.Next(&token)) {
    if (token.kind == HtmlTokenKind::kText) {
      (in_title ? title : raw) += token.source;
      continue;
    }
    const bool closing = token.kind == HtmlTokenKind::kEndTag;
    if (token.name == "title") {
      in_title = !closing;
      continue;
    }
    if (!closing && token.name == "link" && Lower(HtmlAttribute(token.source, "rel")) == "canonical")
      result.url = HtmlAttribute(token.source, "href");
    if (!closing && token.name == "meta" && result.url.empty() &&
        Lower(HtmlAttribute(token.source, "property")) == "og:url")
      result.url = HtmlAttribute(token.source, "content");
    if (IsHtmlBlockTag(token.name)) raw += '\n';
  }
  result.title = TidyText(DecodeHtmlEntities(title));
  std::replace(result.title.begin(), result.title.end(), '\n', ' ');
  result.text = TidyText(DecodeHtmlEntities(raw));
  result.url = DecodeHtmlEntities(result.url);
  return result;
}

}  // namespace imi::search
