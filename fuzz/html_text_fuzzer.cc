// libFuzzer target for the HTML visible-text extractor (search/html_text.h)
// that imi index uses on .html pages. Raw bytes must never crash it; on valid
// (U+FFFD-replaced) UTF-8 the title, URL and text are valid UTF-8, no longer
// than the page, the text is tidy (no blank lines, no tabs or CRs, no spaces
// at line ends or doubled) and the title is one line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "search/html_text.h"

namespace {

void Check(bool condition, const char* what, std::string_view detail = "") {
  if (condition) return;
  std::fprintf(stderr, "html_text_fuzzer: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool Valid(std::string_view s) { return imi::utf8::FindInvalid(s) == std::string_view::npos; }

void CheckTidy(const std::string& text) {
  Check(text.find('\t') == std::string::npos && text.find('\r') == std::string::npos, "a tab or CR in the text",
        text);
  Check(text.find("\n\n") == std::string::npos, "a blank line in the text", text);
  Check(text.find("  ") == std::string::npos, "a doubled space in the text", text);
  Check(text.find(" \n") == std::string::npos, "a space at a line end", text);
  Check(text.empty() || (text.front() != '\n' && text.back() != '\n' && text.back() != ' '),
        "the text starts or ends with blank space", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  imi::search::ExtractHtmlText(raw);

  const std::string html = imi::utf8::ReplaceInvalid(raw);
  const imi::search::HtmlText page = imi::search::ExtractHtmlText(html);
  Check(Valid(page.text), "text is not valid UTF-8", page.text);
  Check(Valid(page.title), "title is not valid UTF-8", page.title);
  Check(Valid(page.url), "url is not valid UTF-8", page.url);
  Check(page.text.size() <= html.size() && page.title.size() <= html.size() && page.url.size() <= html.size(),
        "output longer than the page");
  Check(page.title.find('\n') == std::string::npos, "a line break in the title", page.title);
  CheckTidy(page.text);
  return 0;
}
