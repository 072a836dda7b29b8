#include "crawl/decode.h"

#include <cctype>

#include "base/utf8.h"
#include "crawl/charset.h"
#include "search/html_lexer.h"

namespace imi::crawl {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\'' || s.back() == ';'))
    s.remove_suffix(1);
  return std::string(s);
}

// "charset=X" inside a parameter list such as a Content-Type value.
std::string CharsetIn(std::string_view value) {
  const std::string lower = Lower(value);
  size_t pos = lower.find("charset");
  while (pos != std::string::npos) {
    size_t eq = pos + 7;
    while (eq < lower.size() && (lower[eq] == ' ' || lower[eq] == '\t')) ++eq;
    if (eq < lower.size() && lower[eq] == '=') {
      size_t start = eq + 1;
      size_t end = value.find_first_of(";,", start);
      if (end == std::string_view::npos) end = value.size();
      return Trim(value.substr(start, end - start));
    }
    pos = lower.find("charset", pos + 7);
  }
  return "";
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool HasIso2022Escapes(std::string_view s) {
  return s.find("\x1b$B") != std::string_view::npos || s.find("\x1b$@") != std::string_view::npos ||
         s.find("\x1b(J") != std::string_view::npos || s.find("\x1b(I") != std::string_view::npos;
}

// The charset that detection settles on, or "" when nothing decodes cleanly.
std::string Detect(std::string_view body) {
  if (IsAscii(body)) return HasIso2022Escapes(body) ? "ISO-2022-JP" : "UTF-8";
  if (utf8::FindInvalid(body) == std::string_view::npos) return "UTF-8";
  const std::string guess = DetectCharset(body);
  if (!guess.empty() && DecodesCleanly(body, guess)) return guess;
  for (const char* candidate : {"Shift_JIS", "EUC-JP"}) {
    if (DecodesCleanly(body, candidate)) return candidate;
  }
  return "";
}

// Converts with a known-good canonical name; UTF-8 needs no converter.
DecodedBody Convert(std::string_view body, const std::string& charset, std::string source) {
  DecodedBody out;
  out.charset = charset;
  out.source = std::move(source);
  if (charset == "UTF-8") {
    const size_t bad = utf8::FindInvalid(body);
    if (bad == std::string_view::npos) {
      out.text = std::string(body);
    } else {
      out.text = utf8::ReplaceInvalid(body);
      // Each U+FFFD stands for one or more bytes; count the characters.
      size_t count = 0;
      for (size_t p = 0; (p = out.text.find("\xEF\xBF\xBD", p)) != std::string::npos; p += 3) ++count;
      size_t already = 0;
      for (size_t p = 0; (p = body.find("\xEF\xBF\xBD", p)) != std::string_view::npos; p += 3) ++already;
      out.replaced = count > already ? count - already : 0;
    }
    return out;
  }
  auto converted = ConvertToUtf8(body, charset, &out.replaced);
  if (converted.ok()) {
    out.text = std::move(converted).value();
  } else {
    out.text = utf8::ReplaceInvalid(body);
    out.charset = "UTF-8";
    out.source = "default";
  }
  return out;
}

}  // namespace

std::string CharsetParameter(std::string_view content_type) { return CharsetIn(content_type); }

std::string MetaCharsetLabel(std::string_view html) {
  search::HtmlLexer lexer(html.substr(0, 4096));
  search::HtmlToken token;
  while (lexer.Next(&token)) {
    if (token.kind != search::HtmlTokenKind::kStartTag) continue;
    if (token.name == "body") break;
    if (token.name != "meta") continue;
    std::string label = Trim(search::HtmlAttribute(token.source, "charset"));
    if (!label.empty()) return label;
    if (Lower(Trim(search::HtmlAttribute(token.source, "http-equiv"))) == "content-type") {
      label = CharsetIn(search::HtmlAttribute(token.source, "content"));
      if (!label.empty()) return label;
    }
  }
  return "";
}

DecodedBody DecodeBody(std::string_view body, std::string_view content_type, bool html) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") return Convert(body.substr(3), "UTF-8", "bom");
  if (body.substr(0, 2) == "\xFF\xFE") return Convert(body.substr(2), "UTF-16LE", "bom");
  if (body.substr(0, 2) == "\xFE\xFF") return Convert(body.substr(2), "UTF-16BE", "bom");

  std::string declared;
  std::string source;
  if (const std::string label = CharsetParameter(content_type); !label.empty()) {
    declared = CanonicalCharset(label);
    source = "header";
  }
  if (declared.empty() && html) {
    if (const std::string label = MetaCharsetLabel(body); !label.empty()) {
      declared = CanonicalCharset(label);
      // A page that is read at all was read as ASCII: a UTF-16 label in a
      // <meta> is a mistake (WHATWG reads it as UTF-8).
      if (declared == "UTF-16LE" || declared == "UTF-16BE") declared = "UTF-8";
      source = "meta";
    }
  }
  if (!declared.empty()) {
    DecodedBody out = Convert(body, declared, source);
    if (out.replaced == 0) return out;
    const std::string detected = Detect(body);
    if (!detected.empty() && detected != declared) {
      DecodedBody better = Convert(body, detected, "detected");
      better.declared = declared;
      return better;
    }
    return out;
  }
  const std::string detected = Detect(body);
  if (!detected.empty()) return Convert(body, detected, "detected");
  return Convert(body, "UTF-8", "default");
}

}  // namespace imi::crawl
