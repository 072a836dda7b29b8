#include "search/html_lexer.h"

#include <cctype>
#include <cstdlib>
#include <set>

#include "base/utf8.h"

namespace imi::search {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

char32_t NamedEntity(std::string_view name) {
  struct Entry {
    const char* name;
    char32_t cp;
  };
  static const Entry kEntities[] = {
      {"amp", '&'},      {"lt", '<'},        {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", ' '},     {"copy", 0xA9},     {"reg", 0xAE},     {"yen", 0xA5},     {"hellip", 0x2026},
      {"middot", 0xB7},  {"laquo", 0xAB},    {"raquo", 0xBB},   {"times", 0xD7},   {"divide", 0xF7},
      {"ndash", 0x2013}, {"mdash", 0x2014},  {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
      {"rdquo", 0x201D}, {"bull", 0x2022},   {"trade", 0x2122}, {"larr", 0x2190},  {"rarr", 0x2192},
      {"uarr", 0x2191},  {"darr", 0x2193},   {"deg", 0xB0},     {"para", 0xB6},    {"sect", 0xA7},
  };
  for (const Entry& e : kEntities) {
    if (name == e.name) return e.cp;
  }
  return 0;
}

}  // namespace

bool HtmlLexer::Next(HtmlToken* token) {
  while (pos_ < html_.size()) {
    if (html_[pos_] != '<') {
      size_t end = html_.find('<', pos_);
      if (end == std::string_view::npos) end = html_.size();
      token->kind = HtmlTokenKind::kText;
      token->name.clear();
      token->source = html_.substr(pos_, end - pos_);
      token->self_closing = false;
      pos_ = end;
      return true;
    }
    if (html_.compare(pos_, 4, "<!--") == 0) {
      const size_t end = html_.find("-->", pos_ + 4);
      pos_ = end == std::string_view::npos ? html_.size() : end + 3;
      continue;
    }
    const size_t close = html_.find('>', pos_);
    if (close == std::string_view::npos) {
      pos_ = html_.size();
      return false;
    }
    const std::string_view tag = html_.substr(pos_ + 1, close - pos_ - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const size_t start = closing ? 1 : 0;
    size_t end = start;
    while (end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[end])) || tag[end] == '-')) ++end;
    std::string name = Lower(tag.substr(start, end - start));
    pos_ = close + 1;
    if (!closing && (name == "script" || name == "style" || name == "template" || name == "noscript")) {
      const size_t stop = FindClosingTag(html_, pos_, name);
      if (stop == std::string_view::npos) {
        pos_ = html_.size();
        return false;
      }
      const size_t gt = html_.find('>', stop);
      pos_ = gt == std::string_view::npos ? html_.size() : gt + 1;
      continue;
    }
    token->kind = closing ? HtmlTokenKind::kEndTag : HtmlTokenKind::kStartTag;
    token->name = std::move(name);
    token->source = tag;
    token->self_closing = !closing && !tag.empty() && tag.back() == '/';
    return true;
  }
  return false;
}

std::string HtmlAttribute(std::string_view tag, std::string_view name) {
  const std::string lower = Lower(tag);
  size_t pos = 0;
  while ((pos = lower.find(name, pos)) != std::string::npos) {
    const size_t after = pos + name.size();
    const bool starts = pos > 0 && std::isspace(static_cast<unsigned char>(lower[pos - 1]));
    size_t eq = after;
    while (eq < lower.size() && std::isspace(static_cast<unsigned char>(lower[eq]))) ++eq;
    if (starts && eq < lower.size() && lower[eq] == '=') {
      size_t v = eq + 1;
      while (v < tag.size() && std::isspace(static_cast<unsigned char>(tag[v]))) ++v;
      if (v < tag.size() && (tag[v] == '"' || tag[v] == '\'')) {
        const size_t end = tag.find(tag[v], v + 1);
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

std::string DecodeHtmlEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
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
    const std::string_view name = s.substr(i + 1, semi - i - 1);
    char32_t cp = NamedEntity(name);
    if (cp == 0 && name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string digits(name.substr(hex ? 2 : 1));
      if (!digits.empty() && digits.size() <= 7) {
        char* end = nullptr;
        const unsigned long v = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
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

std::string TidyText(std::string_view s) {
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

bool IsHtmlBlockTag(std::string_view name) {
  static const std::set<std::string_view> kBlock = {
      "p",  "div",   "br",    "li",      "ul",      "ol",         "h1",   "h2",     "h3",  "h4",      "h5",
      "h6", "tr",    "td",    "th",      "table",   "section",    "article", "header", "footer", "nav", "main",
      "aside", "blockquote", "pre", "dd", "dt",     "dl",         "hr",   "title",  "form", "figcaption", "address"};
  return kBlock.count(name) > 0;
}

}  // namespace imi::search
