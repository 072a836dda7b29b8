// The search page as HTML: one form, mode and section links, results, page
// links. Plain links and a form, so it works with the keyboard, a screen
// reader and without script; strings from users and pages are escaped here.
#include "server/search_page.h"

#include <cctype>
#include <map>

namespace imi::server {

// Generated from search_page/*.{css,js,json} by src/server/CMakeLists.txt.
const std::string& SearchStylesheetSource();
const std::string& SearchWidgetSource();
const std::string& SearchMessagesSource();

namespace {

using nlohmann::json;

const json& Messages() {
  static const json messages = json::parse(SearchMessagesSource());
  return messages;
}

std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Format(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string token = "{" + key + "}";
    for (size_t pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos + value.size())) {
      text.replace(pos, token.size(), value);
    }
  }
  return text;
}

// Only http(s) URLs become links.
bool SafeHref(const std::string& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

std::string SectionName(const SearchView& v, const std::string& section) {
  return section.empty() ? SearchMessage(v.lang, "top_level") : section;
}

}  // namespace

std::string SearchMessage(const std::string& lang, const std::string& key) {
  const json& table = Messages().contains(lang) ? Messages()[lang] : Messages()["ja"];
  auto it = table.find(key);
  return it != table.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string SearchPageUrl(const SearchView& v, int page, const std::string& mode, const std::string* section) {
  std::string url = "/search?c=" + UrlEncode(v.collection);
  if (!v.query.empty()) url += "&q=" + UrlEncode(v.query);
  if (!mode.empty()) url += "&mode=" + UrlEncode(mode);
  if (section != nullptr) url += "&section=" + UrlEncode(*section);
  if (page > 1) url += "&page=" + std::to_string(page);
  if (v.lang != "ja") url += "&lang=" + UrlEncode(v.lang);
  return url;
}

std::string RenderSearchPage(const SearchView& v) {
  auto t = [&](const char* key) { return Escape(SearchMessage(v.lang, key)); };
  const std::string* section = v.section_filtered ? &v.section : nullptr;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"" + Escape(v.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" +
       (v.query.empty() ? t("page_title") : Escape(Format(SearchMessage(v.lang, "results_title"), {{"q", v.query}}))) +
       "</title>\n";
  h += "<link rel=\"stylesheet\" href=\"/search/search.css\">\n</head>\n<body>\n";
  h += "<a class=\"skip\" href=\"#results\">" + t("skip") + "</a>\n";
  // Header: the search's name and the language switch.
  SearchView other = v;
  other.lang = SearchMessage(v.lang, "other_language_code");
  h += "<header class=\"site\">\n<p class=\"brand\">" + t("page_title") + " <span>" + Escape(v.collection) +
       "</span></p>\n";
  h += "<p><a href=\"" + Escape(SearchPageUrl(other, v.page, v.mode, section)) + "\" lang=\"" + Escape(other.lang) +
       "\" hreflang=\"" + Escape(other.lang) + "\">" + t("other_language") + "</a></p>\n</header>\n";
  h += "<main id=\"main\">\n";
  // The form: a labelled box; the mode travels along.
  h += "<form class=\"search\" role=\"search\" action=\"/search\" method=\"get\">\n";
  h += "<label for=\"q\">" + t("label") + "</label>\n";
  h += "<input type=\"hidden\" name=\"c\" value=\"" + Escape(v.collection) + "\">\n";
  if (v.lang != "ja") h += "<input type=\"hidden\" name=\"lang\" value=\"" + Escape(v.lang) + "\">\n";
  if (!v.mode.empty() && v.modes.size() > 1) h += "<input type=\"hidden\" name=\"mode\" value=\"" + Escape(v.mode) + "\">\n";
  h += "<input id=\"q\" name=\"q\" type=\"search\" value=\"" + Escape(v.query) + "\" placeholder=\"" + t("placeholder") +
       "\" autocomplete=\"off\" enterkeyhint=\"search\" maxlength=\"256\"" + (v.query.empty() ? " autofocus" : "") +
       ">\n";
  h += "<button type=\"submit\">" + t("button") + "</button>\n</form>\n";
  if (v.modes.size() > 1 && !v.query.empty()) {
    h += "<nav class=\"modes\" aria-labelledby=\"modes-h\">\n<h2 id=\"modes-h\">" + t("modes") + "</h2>\n<ul>\n";
    for (const std::string& mode : v.modes) {
      const std::string key = "mode_" + mode;
      h += "<li><a href=\"" + Escape(SearchPageUrl(v, 1, mode, section)) + "\"" +
           (mode == v.mode ? " aria-current=\"true\"" : "") + ">" + Escape(SearchMessage(v.lang, key)) + "</a></li>\n";
    }
    h += "</ul>\n</nav>\n";
  }
  if (!v.error.empty()) {
    h += "<div class=\"error\" role=\"alert\"><h2>" + Escape(v.error) + "</h2></div>\n";
  } else if (!v.query.empty()) {
    const int from = (v.page - 1) * kResultsPerPage + 1;
    const int to = from + static_cast<int>(v.results.size()) - 1;
    std::map<std::string, std::string> values = {{"q", v.query},
                                                 {"total", std::to_string(v.total)},
                                                 {"from", std::to_string(from)},
                                                 {"to", std::to_string(to)},
                                                 {"section", SectionName(v, v.section)}};
    if (v.total > 0) {
      h += "<p class=\"status\" role=\"status\">" +
           Escape(Format(SearchMessage(v.lang, v.section_filtered ? "count_section" : "count"), values)) + "</p>\n";
      if (v.capped) h += "<p class=\"note\">" + Escape(Format(SearchMessage(v.lang, "capped"), {{"n", std::to_string(kMaxResults)}})) + "</p>\n";
    }
    h += "<div class=\"layout\">\n";
    if (!v.sections.empty()) {
      h += "<nav class=\"sections\" aria-labelledby=\"sections-h\">\n<h2 id=\"sections-h\">" + t("sections") +
           "</h2>\n<ul>\n";
      size_t all = 0;
      for (const auto& [name, count] : v.sections) all += count;
      h += "<li><a href=\"" + Escape(SearchPageUrl(v, 1, v.mode, nullptr)) + "\"" +
           (!v.section_filtered ? " aria-current=\"true\"" : "") + ">" + t("all_sections") + " (" +
           std::to_string(all) + ")</a></li>\n";
      for (const auto& [name, count] : v.sections) {
        h += "<li><a href=\"" + Escape(SearchPageUrl(v, 1, v.mode, &name)) + "\"" +
             (v.section_filtered && name == v.section ? " aria-current=\"true\"" : "") + ">" +
             Escape(SectionName(v, name)) + " (" + std::to_string(count) + ")</a></li>\n";
      }
      h += "</ul>\n</nav>\n";
    }
    h += "<section id=\"results\" tabindex=\"-1\" aria-labelledby=\"results-h\">\n<h2 id=\"results-h\" "
         "class=\"visually-hidden\">" +
         t("results") + "</h2>\n";
    if (v.total == 0) {
      h += "<div class=\"empty\" role=\"status\">\n<h2>" + Escape(Format(SearchMessage(v.lang, "none_title"), values)) +
           "</h2>\n<ul>\n";
      const json& table = Messages().contains(v.lang) ? Messages()[v.lang] : Messages()["ja"];
      for (const json& tip : table["none_tips"]) h += "<li>" + Escape(tip.get<std::string>()) + "</li>\n";
      h += "</ul>\n</div>\n";
    } else {
      h += "<ol class=\"results\" start=\"" + std::to_string(from) + "\">\n";
      for (const SearchView::Result& r : v.results) {
        h += "<li>\n<h3>";
        const std::string title = r.title.empty() ? r.url : r.title;
        if (SafeHref(r.url)) {
          h += "<a href=\"" + Escape(r.url) + "\">" + Escape(title) + "</a>";
        } else {
          h += Escape(title);
        }
        h += "</h3>\n<p class=\"url\">" + Escape(r.url) + "</p>\n<p class=\"snippet\">";
        for (const SnippetPart& part : r.snippet) {
          h += part.mark ? "<mark>" + Escape(part.text) + "</mark>" : Escape(part.text);
        }
        h += "</p>\n<p class=\"meta\"><span>" + Escape(SectionName(v, r.section)) + "</span>";
        if (!r.last_modified.empty()) {
          h += "<span>" + t("updated") + " " + Escape(r.last_modified.substr(0, 10)) + "</span>";
        }
        h += "</p>\n</li>\n";
      }
      h += "</ol>\n";
      if (v.pages > 1) {
        h += "<nav class=\"pages\" aria-label=\"" + t("pagination") + "\">\n<ul>\n";
        if (v.page > 1) {
          h += "<li><a rel=\"prev\" href=\"" + Escape(SearchPageUrl(v, v.page - 1, v.mode, section)) + "\">" +
               t("prev") + "</a></li>\n";
        }
        for (int p = 1; p <= v.pages; ++p) {
          h += "<li><a href=\"" + Escape(SearchPageUrl(v, p, v.mode, section)) + "\" aria-label=\"" +
               Escape(Format(SearchMessage(v.lang, "page_n"), {{"n", std::to_string(p)}})) + "\"" +
               (p == v.page ? " aria-current=\"page\"" : "") + ">" + std::to_string(p) + "</a></li>\n";
        }
        if (v.page < v.pages) {
          h += "<li><a rel=\"next\" href=\"" + Escape(SearchPageUrl(v, v.page + 1, v.mode, section)) + "\">" +
               t("next") + "</a></li>\n";
        }
        h += "</ul>\n</nav>\n";
      }
    }
    h += "</section>\n</div>\n";
  }
  h += "</main>\n<footer class=\"site\"><p>" + t("powered") + "</p></footer>\n</body>\n</html>\n";
  return h;
}

json SearchViewJson(const SearchView& v) {
  json results = json::array();
  for (const SearchView::Result& r : v.results) {
    json snippet = json::array();
    for (const SnippetPart& part : r.snippet) snippet.push_back({{"text", part.text}, {"mark", part.mark}});
    results.push_back({{"rank", r.rank},
                       {"title", r.title},
                       {"url", r.url},
                       {"section", r.section},
                       {"last_modified", r.last_modified.empty() ? json(nullptr) : json(r.last_modified)},
                       {"score", r.score},
                       {"snippet", std::move(snippet)}});
  }
  json sections = json::array();
  for (const auto& [name, count] : v.sections) sections.push_back({{"name", name}, {"count", count}});
  const std::string* section = v.section_filtered ? &v.section : nullptr;
  return {{"collection", v.collection},
          {"query", v.query},
          {"mode", v.mode},
          {"modes", v.modes},
          {"section", section ? json(v.section) : json(nullptr)},
          {"sections", std::move(sections)},
          {"total", v.total},
          {"capped", v.capped},
          {"page", v.page},
          {"pages", v.pages},
          {"per_page", kResultsPerPage},
          {"results", std::move(results)},
          {"page_url", SearchPageUrl(v, v.page, v.mode, section)}};
}

const std::string& SearchStylesheet() { return SearchStylesheetSource(); }

const std::string& SearchWidgetScript() {
  static const std::string script = [] {
    std::string js = SearchWidgetSource();
    const std::string token = "__IMI_MESSAGES__";
    const size_t pos = js.find(token);
    if (pos != std::string::npos) js.replace(pos, token.size(), Messages().dump());
    return js;
  }();
  return script;
}

}  // namespace imi::server
