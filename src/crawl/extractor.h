#ifndef IMI_CRAWL_EXTRACTOR_H_
#define IMI_CRAWL_EXTRACTOR_H_

#include <string>
#include <string_view>
#include <vector>

namespace imi::crawl {

// What the crawler keeps of a page.
struct ExtractedPage {
  std::string title;        // <title>, else the first <h1>; one line
  std::string description;  // <meta name="description">
  std::string lang;         // <html lang>
  std::string canonical;    // <link rel="canonical" href> as written
  std::string base;         // <base href> as written
  std::vector<std::string> links;  // hrefs of a, area, frame, iframe and <meta http-equiv="refresh">, as written
  bool noindex = false;     // <meta name="robots" content="noindex"> (or "none")
  bool nofollow = false;    // <meta name="robots" content="nofollow"> (or "none")
  std::string text;         // the main text: one line per block, tidy
};

// At most this many links are read from one page; the rest are ignored and
// ignored.
inline constexpr size_t kMaxLinksPerPage = 5000;

// The main text of an HTML page (valid UTF-8 in, valid UTF-8 out), without
// navigation, headers, footers, side bars, breadcrumbs, forms and link
// lists. Rules, in order (docs/crawl.md explains and measures them):
//  1. text inside nav, aside, form, button, select, textarea, elements with
//     a landmark role other than main (navigation, banner, contentinfo,
//     complementary, search), hidden elements, and header/footer outside
//     main content is dropped; so are elements whose id or class names a
//     site part (gnavi, breadcrumb, pankuzu, sidebar, footer, pagetop, sns,
//     related, banner, ...);
//  2. when the page marks its main content (<main>, role="main", <article>,
//     or an id/class main, contents, content, honbun), only that is kept;
//  3. runs of lines that are mostly link text (70%+) are dropped: 3+ lines
//     inside main content, 2+ elsewhere (menus and link lists);
//  4. a heading left with nothing under it (followed by a heading of the
//     same or a higher level, or by the end) is dropped.
// Never fails; linear in the page size. Thread-safe.
ExtractedPage ExtractPage(std::string_view html);

// A text/plain page: the text tidied, the first line as the title.
ExtractedPage ExtractPlainText(std::string_view text);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_EXTRACTOR_H_
