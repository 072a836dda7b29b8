// libFuzzer target for the crawler's main-text extractor (crawl/extractor.h):
// on valid UTF-8 (invalid bytes replaced) the title and text are valid
// UTF-8, the text tidy (no blank or padded lines), no longer than the page,
// and the links at most kMaxLinksPerPage.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "crawl/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string html = imi::utf8::ReplaceInvalid(std::string_view(reinterpret_cast<const char*>(data), size));
  const imi::crawl::ExtractedPage page = imi::crawl::ExtractPage(html);
  const auto valid = [](const std::string& s) { return imi::utf8::FindInvalid(s) == std::string_view::npos; };
  if (!valid(page.text) || !valid(page.title) || !valid(page.description)) std::abort();
  if (page.text.size() > html.size() * 3 + 16) std::abort();  // entities may grow (&lt; is shorter, &#x1F600; not)
  if (page.text.find("\n\n") != std::string::npos || page.title.find('\n') != std::string::npos) std::abort();
  if (!page.text.empty() && (page.text.front() == '\n' || page.text.back() == '\n')) std::abort();
  if (page.links.size() > imi::crawl::kMaxLinksPerPage) std::abort();
  const imi::crawl::ExtractedPage plain = imi::crawl::ExtractPlainText(html);
  if (!valid(plain.text) || !valid(plain.title)) std::abort();
  return 0;
}
