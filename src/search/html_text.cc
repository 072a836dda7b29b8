#include "search/html_text.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/utf8.h"

namespace imi::search {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsBlockTag(const std::string& name) {
  static const std::set<std::string> kBlock = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                                               "tr", "td", "th", "table", "section", "article", "header", "footer",
                                               "nav", "main", "aside", "blockquote", "pre", "dd", "dt", "dl", "hr",
                                               "title", "form", "figcaption", "address"};
  return kBlock.count(name) > 0;
}

// Value of attribute `name` inside a tag's source, or empty.
std::string Attribute(std::string_view tag, std::string_view name) {
  std::string lower = Lower(tag);
  size_t pos = 0;
  while ((pos = lower.find(name, pos)) != std::string::npos) {
    size_t after = pos + name.size();
    bool starts = pos > 0 && std::isspace(static_cast<unsigned char>(lower[pos - 1]));
    size_t eq = after;
    while (eq < lower.size() && std::isspace(static_cast<unsigned char>(lower[eq]))) ++eq;
    if (starts && eq < lower.size() && lower[eq] == '=') {
      size_t v = eq + 1;
      while (v < tag.size() && std::isspace(static_cast<unsigned char>(tag[v]))) ++v;
      if (v < tag.size() && (tag[v] == '"' || tag[v] == '\'')) {
        size_t end = tag.find(tag[v], v + 1);
        return std::string(tag.substr(v + 1, end == std::string_view::npos ? std::string_view::npos : end - v - 1));
      }
      size_t end = v;
      while (end < tag.size() && !std::isspace(static_cast<unsigned char>(tag[end])) && tag[end] != '>') ++end;
      return std::string(tag.substr(v, end - v));
    }
    pos = after;
  }
  return "";
}

// Position of the first "</name" at or after `from` (ASCII case-insensitive;
// `name` is lower-case), or npos. Searches in place: copying the rest of the
// page for every script made a page with thousands of them quadratic.
size_t FindClosingTag(std::string_view html, size_t from, std::string_view name) {
  for (size_t pos = html.find("</", from); pos != std::string_view::npos; pos = html.find("</", pos + 2)) {
    if (html.size() - pos - 2 < name.size()) break;
    size_t k = 0;
    while (k < name.size() && std::tolower(static_cast<unsigned char>(html[pos + 2 + k])) == name[k]) ++k;
    if (k == name.size()) return pos;
  }
  return std::string_view::npos;
}

std::string DecodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    // Entities are short: look no further than 10 bytes, so a page of bare
    // ampersands stays linear.
    size_t semi = s.substr(i, 11).find(';');
    if (semi != std::string_view::npos) semi += i;
    if (semi == std::string_view::npos) {
      out += '&';
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    char32_t cp = 0;
    if (name == "amp") cp = '&';
    else if (name == "lt") cp = '<';
    else if (name == "gt") cp = '>';
    else if (name == "quot") cp = '"';
    else if (name == "apos") cp = '\'';
    else if (name == "nbsp") cp = ' ';
    else if (name.size() > 1 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string digits(name.substr(hex ? 2 : 1));
      if (!digits.empty() && digits.size() <= 7) {
        char* end = nullptr;
        unsigned long v = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
        if (end && *end == '\0' && v > 0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) cp = static_cast<char32_t>(v);
      }
    }
    if (cp == 0) {
      out += '&';
      continue;
    }
    utf8::Append(&out, cp);
    i = semi;
  }
  return out;
}

// Collapses spaces within lines, trims lines and drops empty ones.
std::string Tidy(std::string_view s) {
  std::string out, line;
  auto flush = [&] {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) {
      if (!out.empty()) out += '\n';
      out += line;
    }
    line.clear();
  };
  for (char c : s) {
    if (c == '\n') {
      flush();
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  flush();
  return out;
}

}  // namespace

HtmlText ExtractHtmlText(std::string_view html) {
  HtmlText result;
  std::string raw, title;
  bool in_title = false;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      (in_title ? title : raw) += html[i++];
      continue;
    }
    if (html.compare(i, 4, "<!--") == 0) {
      size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    size_t close = html.find('>', i);
    if (close == std::string_view::npos) break;
    std::string_view tag = html.substr(i + 1, close - i - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    size_t start = closing ? 1 : 0;
    size_t end = start;
    while (end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[end])) || tag[end] == '-')) ++end;
    std::string name = Lower(tag.substr(start, end - start));
    i = close + 1;
    if (!closing && (name == "script" || name == "style" || name == "template" || name == "noscript")) {
      size_t stop = FindClosingTag(html, i, name);
      if (stop == std::string_view::npos) break;
      size_t gt = html.find('>', stop);
      i = gt == std::string_view::npos ? html.size() : gt + 1;
      continue;
    }
    if (name == "title") {
      in_title = !closing;
      continue;
    }
    if (!closing && name == "link" && Lower(Attribute(tag, "rel")) == "canonical") result.url = Attribute(tag, "href");
    if (!closing && name == "meta" && result.url.empty() && Lower(Attribute(tag, "property")) == "og:url")
      result.url = Attribute(tag, "content");
    if (IsBlockTag(name)) raw += '\n';
  }
  result.title = Tidy(DecodeEntities(title));
  std::replace(result.title.begin(), result.title.end(), '\n', ' ');
  result.text = Tidy(DecodeEntities(raw));
  result.url = DecodeEntities(result.url);
  return result;
}

}  // namespace imi::search
