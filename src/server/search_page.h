#ifndef IMI_SERVER_SEARCH_PAGE_H_
#define IMI_SERVER_SEARCH_PAGE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/snippet.h"

namespace imi::server {

// What the search page and the widget show for one request: the same data
// rendered as HTML (/search) or JSON (/search/results).
struct SearchView {
  std::string collection;
  std::string query;
  std::string lang = "ja";           // "ja" or "en"
  std::string mode;                  // the mode used: "hybrid", "keyword" or "semantic"
  std::vector<std::string> modes;    // the modes this collection offers
  std::string section;               // the section filter ("" none)
  bool section_filtered = false;     // a section parameter was given (possibly "")
  std::vector<std::pair<std::string, size_t>> sections;  // among the top results, most frequent first
  size_t total = 0;                  // results available (at most kMaxResults)
  bool capped = false;               // more would exist beyond kMaxResults
  int page = 1;
  int pages = 0;
  struct Result {
    int rank = 0;
    std::string title;
    std::string url;
    std::string section;
    std::string last_modified;
    double score = 0;
    std::vector<SnippetPart> snippet;
  };
  std::vector<Result> results;  // this page's
  std::string error;            // a message shown instead of results
  int status = 200;
};

// Results per page, and how many top results are paged through and counted
// in the section filter.
inline constexpr int kResultsPerPage = 10;
inline constexpr int kMaxResults = 100;

// The /search?c=&q=&mode=&section=&page=&lang= URL of a view's state.
std::string SearchPageUrl(const SearchView& view, int page, const std::string& mode, const std::string* section);
// The page: accessible HTML, Japanese (English with lang "en"), no script.
std::string RenderSearchPage(const SearchView& view);
// The same as JSON for the widget (docs/api.md, "Search page").
nlohmann::json SearchViewJson(const SearchView& view);
// A message of the interface in `lang` (messages.json), "" when unknown.
std::string SearchMessage(const std::string& lang, const std::string& key);

// The committed assets, embedded at build time.
const std::string& SearchStylesheet();
// widget.js with the interface messages filled in.
const std::string& SearchWidgetScript();

}  // namespace imi::server

#endif  // IMI_SERVER_SEARCH_PAGE_H_
