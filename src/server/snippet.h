#ifndef IMI_SERVER_SNIPPET_H_
#define IMI_SERVER_SNIPPET_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imi::server {

// A piece of a snippet: text, marked when it matches the query.
struct SnippetPart {
  std::string text;
  bool mark = false;
};

// The words of `query` worth highlighting: whitespace- and punctuation-
// separated terms, and for Japanese terms (written without spaces) every
// substring of at least two characters that is not two or fewer hiragana
// (particles such as "の", "から" would light up everywhere). Terms are cut
// at 32 characters; ASCII is compared case-insensitively.
std::vector<std::string> HighlightNeedles(std::string_view query);

// About `max_chars` characters of `text` (valid UTF-8) around the densest
// run of matches, split into marked and unmarked parts, with "…" where it
// was cut. Line breaks become spaces. Without a match: the start of the text.
std::vector<SnippetPart> MakeSnippet(std::string_view text, const std::vector<std::string>& needles,
                                     size_t max_chars = 120);

}  // namespace imi::server

#endif  // IMI_SERVER_SNIPPET_H_
