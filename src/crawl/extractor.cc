// Main-text extraction on imi's HTML lexer (search/html_lexer.h, shared with
// imi index's visible-text extractor): an element stack marks text as
// boilerplate or main content, text is cut into lines at block tags, and
// link-heavy runs of lines are dropped afterwards.
#include "crawl/extractor.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/utf8.h"
#include "search/html_lexer.h"

namespace imi::crawl {

namespace {

using search::HtmlToken;
using search::HtmlTokenKind;

constexpr size_t kMaxDepth = 512;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsVoid(std::string_view name) {
  static const std::set<std::string_view> kVoid = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                                   "link", "meta", "param", "source", "track", "wbr", "frame"};
  return kVoid.count(name) > 0;
}

// Tokens of id and class values: split at space, '-' and '_', lower-cased.
std::vector<std::string> NameTokens(std::string_view tag) {
  std::vector<std::string> out;
  for (const char* attr : {"id", "class"}) {
    const std::string value = Lower(search::HtmlAttribute(tag, attr));
    std::string token;
    for (char c : value + " ") {
      if (c == ' ' || c == '-' || c == '_' || c == '\t') {
        if (!token.empty()) out.push_back(token);
        token.clear();
      } else {
        token += c;
      }
    }
  }
  return out;
}

// Site parts that are never page content, wherever they are.
bool IsAlwaysBoilerToken(const std::string& t) {
  static const std::set<std::string> kTokens = {
      "breadcrumb", "breadcrumbs", "pankuzu", "topicpath", "pagetop", "sns",  "share", "social", "related",
      "relation",   "kanren",      "skip",    "bnr",       "banner",  "ad",   "ads",   "advert", "print",
      "rss",        "toolbar",     "gnav",    "gnavi",     "globalnav", "lnav", "lnavi", "localnav", "snav",
      "subnav",     "footnav",     "sidenav", "sidebar",   "sidemenu", "gmenu"};
  return kTokens.count(t) > 0;
}

// Site parts named loosely enough that inside marked main content they may
// be the article's own header or menu: boilerplate only outside it.
bool IsOuterBoilerToken(const std::string& t) {
  static const std::set<std::string> kTokens = {"nav", "navi", "navigation", "menu", "header", "footer",
                                                "side", "utility", "sitemap", "guide", "head", "foot"};
  return kTokens.count(t) > 0;
}

bool IsMainToken(const std::string& t) {
  static const std::set<std::string> kTokens = {"main", "contents", "content", "maincontent", "honbun", "article"};
  return kTokens.count(t) > 0;
}

// Whether the tag has an attribute written without a value ("<div hidden>").
bool HasBareAttribute(std::string_view tag, std::string_view name) {
  const std::string lower = Lower(tag);
  size_t pos = 0;
  while ((pos = lower.find(name, pos)) != std::string::npos) {
    const size_t end = pos + name.size();
    const bool starts = pos > 0 && (lower[pos - 1] == ' ' || lower[pos - 1] == '\t' || lower[pos - 1] == '\n');
    const bool ends = end == lower.size() || lower[end] == ' ' || lower[end] == '/' || lower[end] == '\t' ||
                      lower[end] == '\n';
    if (starts && ends) return true;
    pos = end;
  }
  return false;
}

int HeadingLevel(std::string_view name) {
  if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') return name[1] - '0';
  return 0;
}

struct OpenElement {
  std::string name;
  bool boiler = false;
  bool main = false;
  bool link = false;
  int heading = 0;
};

struct Line {
  std::string text;
  size_t chars = 0;
  size_t link_chars = 0;
  bool main = false;
  int heading = 0;
};

size_t CountVisible(std::string_view s) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8::Decode(s, &pos);
    if (cp != ' ' && cp != '\t' && cp != '\n' && cp != '\r' && cp != 0x3000) ++n;
  }
  return n;
}

class Extractor {
 public:
  ExtractedPage Run(std::string_view html) {
    search::HtmlLexer lexer(html);
    HtmlToken token;
    while (lexer.Next(&token)) {
      if (token.kind == HtmlTokenKind::kText) {
        OnText(token.source);
      } else if (token.kind == HtmlTokenKind::kStartTag) {
        OnStart(token);
      } else {
        OnEnd(token.name);
      }
    }
    FlushLine();
    Finish();
    return std::move(page_);
  }

 private:
  bool InBoiler() const { return boiler_depth_ > 0; }

  void OnText(std::string_view raw) {
    if (in_title_) {
      title_ += raw;
      return;
    }
    if (InBoiler()) return;
    const std::string text = search::DecodeHtmlEntities(raw);
    const size_t visible = CountVisible(text);
    if (visible == 0) {
      if (!line_.text.empty()) line_.text += ' ';
      return;
    }
    if (line_.chars == 0) {
      line_.main = main_depth_ > 0;
      line_.heading = heading_;
    }
    line_.text += text;
    line_.chars += visible;
    if (link_depth_ > 0) line_.link_chars += visible;
    if (main_depth_ > 0) line_.main = true;
    if (heading_ > 0 && h1_text_.empty() && heading_ == 1) h1_pending_ = true;
    if (h1_pending_) h1_text_ += text;
  }

  void FlushLine() {
    if (line_.chars > 0) {
      line_.text = search::TidyText(line_.text);
      std::replace(line_.text.begin(), line_.text.end(), '\n', ' ');
      if (!line_.text.empty()) lines_.push_back(std::move(line_));
    }
    line_ = Line();
  }

  void OnStart(const HtmlToken& tag) {
    const std::string& name = tag.name;
    if (name.empty()) return;
    if (name == "title") {
      in_title_ = true;
      return;
    }
    ReadHeadElement(tag);
    if (search::IsHtmlBlockTag(name)) FlushLine();
    if (IsVoid(name) || tag.self_closing) return;
    // Implied end tags: a new item closes the open one of its kind.
    static const std::set<std::string_view> kSelfClosing = {"li", "p", "dt", "dd", "tr", "td", "th", "option", "a"};
    if (kSelfClosing.count(name) > 0 && !stack_.empty() && stack_.back().name == name) Pop();
    if (stack_.size() >= kMaxDepth) return;
    OpenElement open;
    open.name = name;
    open.heading = HeadingLevel(name);
    open.link = name == "a" && !search::HtmlAttribute(tag.source, "href").empty();
    open.main = IsMain(tag);
    open.boiler = !open.main && IsBoiler(tag);
    Push(std::move(open));
  }

  void OnEnd(const std::string& name) {
    if (name == "title") {
      in_title_ = false;
      return;
    }
    if (search::IsHtmlBlockTag(name)) FlushLine();
    for (size_t i = stack_.size(); i-- > 0;) {
      if (stack_[i].name == name) {
        while (stack_.size() > i) Pop();
        break;
      }
    }
  }

  void Push(OpenElement open) {
    if (open.boiler) ++boiler_depth_;
    if (open.main) ++main_depth_;
    if (open.link) ++link_depth_;
    if (open.heading > 0) heading_ = open.heading;
    stack_.push_back(std::move(open));
  }

  void Pop() {
    const OpenElement& top = stack_.back();
    if (top.boiler) --boiler_depth_;
    if (top.main) --main_depth_;
    if (top.link) --link_depth_;
    if (top.heading > 0) {
      heading_ = 0;
      if (h1_pending_) h1_pending_ = false;
    }
    stack_.pop_back();
  }

  bool IsMain(const HtmlToken& tag) const {
    if (tag.name == "main" || tag.name == "article") return true;
    if (Lower(search::HtmlAttribute(tag.source, "role")) == "main") return true;
    if (tag.name != "div" && tag.name != "section" && tag.name != "td") return false;
    for (const std::string& t : NameTokens(tag.source)) {
      if (IsMainToken(t)) return true;
    }
    return false;
  }

  bool IsBoiler(const HtmlToken& tag) const {
    static const std::set<std::string_view> kBoilerTags = {"nav", "aside", "form", "button", "select",
                                                           "textarea", "dialog", "menu", "svg", "iframe"};
    const std::string& name = tag.name;
    if (kBoilerTags.count(name) > 0) return true;
    if ((name == "header" || name == "footer") && main_depth_ == 0) return true;
    const std::string role = Lower(search::HtmlAttribute(tag.source, "role"));
    if (role == "navigation" || role == "banner" || role == "contentinfo" || role == "complementary" ||
        role == "search" || role == "menu" || role == "menubar" || role == "toolbar") {
      return true;
    }
    if (Lower(search::HtmlAttribute(tag.source, "aria-hidden")) == "true") return true;
    if (HasBareAttribute(tag.source, "hidden")) return true;
    const std::string style = Lower(search::HtmlAttribute(tag.source, "style"));
    if (style.find("display:none") != std::string::npos || style.find("display: none") != std::string::npos)
      return true;
    for (const std::string& t : NameTokens(tag.source)) {
      if (IsAlwaysBoilerToken(t)) return true;
      if (main_depth_ == 0 && IsOuterBoilerToken(t)) return true;
    }
    return false;
  }

  // Head elements and links: title fallbacks, canonical, robots, links.
  void ReadHeadElement(const HtmlToken& tag) {
    const std::string& name = tag.name;
    if (name == "html" && page_.lang.empty()) {
      page_.lang = search::HtmlAttribute(tag.source, "lang");
    } else if (name == "base" && page_.base.empty()) {
      page_.base = search::HtmlAttribute(tag.source, "href");
    } else if (name == "link") {
      const std::string rel = " " + Lower(search::HtmlAttribute(tag.source, "rel")) + " ";
      if (rel.find(" canonical ") != std::string::npos && page_.canonical.empty())
        page_.canonical = search::DecodeHtmlEntities(search::HtmlAttribute(tag.source, "href"));
    } else if (name == "meta") {
      const std::string meta_name = Lower(search::HtmlAttribute(tag.source, "name"));
      const std::string content = search::HtmlAttribute(tag.source, "content");
      if (meta_name == "description" && page_.description.empty()) {
        page_.description = search::TidyText(search::DecodeHtmlEntities(content));
        std::replace(page_.description.begin(), page_.description.end(), '\n', ' ');
      } else if (meta_name == "robots") {
        const std::string c = Lower(content);
        if (c.find("noindex") != std::string::npos || c.find("none") != std::string::npos) page_.noindex = true;
        if (c.find("nofollow") != std::string::npos || c.find("none") != std::string::npos) page_.nofollow = true;
      } else if (Lower(search::HtmlAttribute(tag.source, "http-equiv")) == "refresh") {
        const std::string lower = Lower(content);
        const size_t url = lower.find("url=");
        if (url != std::string::npos) AddLink(content.substr(url + 4));
      }
    } else if (name == "a" || name == "area") {
      AddLink(search::HtmlAttribute(tag.source, "href"));
    } else if (name == "frame" || name == "iframe") {
      AddLink(search::HtmlAttribute(tag.source, "src"));
    }
  }

  void AddLink(std::string href) {
    while (!href.empty() && (href.front() == ' ' || href.front() == '\'' || href.front() == '"')) href.erase(0, 1);
    while (!href.empty() && (href.back() == ' ' || href.back() == '\'' || href.back() == '"')) href.pop_back();
    if (href.empty() || href[0] == '#' || page_.links.size() >= kMaxLinksPerPage) return;
    const std::string lower = Lower(href.substr(0, 11));
    if (lower.rfind("javascript:", 0) == 0 || lower.rfind("mailto:", 0) == 0 || lower.rfind("tel:", 0) == 0 ||
        lower.rfind("data:", 0) == 0) {
      return;
    }
    page_.links.push_back(search::DecodeHtmlEntities(href));
  }

  static bool LinkDense(const Line& line) { return line.chars > 0 && line.link_chars * 10 >= line.chars * 7; }

  void Finish() {
    page_.title = search::TidyText(search::DecodeHtmlEntities(title_));
    std::replace(page_.title.begin(), page_.title.end(), '\n', ' ');
    if (page_.title.empty()) {
      page_.title = search::TidyText(h1_text_);
      std::replace(page_.title.begin(), page_.title.end(), '\n', ' ');
    }
    size_t main_chars = 0;
    for (const Line& l : lines_) {
      if (l.main) main_chars += l.chars;
    }
    const bool has_main = main_chars > 0;
    std::vector<Line> kept;
    for (Line& l : lines_) {
      if (!has_main || l.main) kept.push_back(std::move(l));
    }
    // Rule 3: link-heavy runs.
    std::vector<bool> drop(kept.size(), false);
    for (size_t i = 0; i < kept.size();) {
      if (!LinkDense(kept[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < kept.size() && LinkDense(kept[j])) ++j;
      const size_t run = j - i;
      if (run >= (has_main ? 3u : 2u)) std::fill(drop.begin() + static_cast<long>(i), drop.begin() + static_cast<long>(j), true);
      i = j;
    }
    std::vector<Line> body;
    for (size_t i = 0; i < kept.size(); ++i) {
      if (!drop[i]) body.push_back(std::move(kept[i]));
    }
    // Rule 4: headings with nothing under them.
    std::string text;
    for (size_t i = 0; i < body.size(); ++i) {
      const int level = body[i].heading;
      if (level > 1) {
        const bool next_is_peer = i + 1 == body.size() || (body[i + 1].heading > 0 && body[i + 1].heading <= level);
        if (next_is_peer) continue;
      }
      if (!text.empty()) text += '\n';
      text += body[i].text;
    }
    page_.text = std::move(text);
  }

  ExtractedPage page_;
  std::vector<OpenElement> stack_;
  std::vector<Line> lines_;
  Line line_;
  std::string title_;
  std::string h1_text_;
  bool h1_pending_ = false;
  bool in_title_ = false;
  int boiler_depth_ = 0;
  int main_depth_ = 0;
  int link_depth_ = 0;
  int heading_ = 0;
};

}  // namespace

ExtractedPage ExtractPage(std::string_view html) { return Extractor().Run(html); }

ExtractedPage ExtractPlainText(std::string_view text) {
  ExtractedPage page;
  page.text = search::TidyText(text);
  page.title = page.text.substr(0, page.text.find('\n'));
  if (page.title.size() > 200) {
    size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(page.title[cut]) & 0xC0) == 0x80) --cut;
    page.title.resize(cut);
  }
  return page;
}

}  // namespace imi::crawl
