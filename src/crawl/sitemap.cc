// expat adapter: the only file that includes expat. Sitemaps are streamed
// through expat; a DOCTYPE stops the parse, so no entity is ever expanded.
#include "crawl/sitemap.h"

#include <expat.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "crawl/gzip.h"

namespace imi::crawl {

namespace {

// The local part of a (possibly prefixed) element name.
std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  const size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::string Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return std::string(s);
}

struct ParseState {
  XML_Parser parser = nullptr;
  Sitemap* out = nullptr;
  int depth = 0;
  std::string root;
  bool in_item = false;  // inside <url> or <sitemap>
  std::string field;     // "loc" or "lastmod" while inside one
  std::string text;
  SitemapEntry current;
  std::string error;
};

void Fail(ParseState* st, std::string message) {
  if (st->error.empty()) st->error = std::move(message);
  XML_StopParser(st->parser, XML_FALSE);
}

void OnStart(void* user, const XML_Char* name, const XML_Char**) {
  auto* st = static_cast<ParseState*>(user);
  const std::string_view local = LocalName(name);
  ++st->depth;
  if (st->depth == 1) {
    st->root = std::string(local);
    if (local == "sitemapindex") {
      st->out->is_index = true;
    } else if (local != "urlset") {
      Fail(st, "root element is <" + std::string(local) + ">, not <urlset> or <sitemapindex>");
    }
    return;
  }
  if (st->depth == 2 && (local == "url" || local == "sitemap")) {
    st->in_item = true;
    st->current = SitemapEntry();
  } else if (st->depth == 3 && st->in_item && (local == "loc" || local == "lastmod")) {
    st->field = std::string(local);
    st->text.clear();
  }
}

void OnEnd(void* user, const XML_Char* name) {
  auto* st = static_cast<ParseState*>(user);
  const std::string_view local = LocalName(name);
  if (st->depth == 3 && !st->field.empty() && local == st->field) {
    if (st->field == "loc") st->current.loc = Trim(st->text);
    else st->current.lastmod = Trim(st->text);
    st->field.clear();
  } else if (st->depth == 2 && st->in_item) {
    st->in_item = false;
    if (!st->current.loc.empty()) {
      if (st->out->entries.size() < kMaxSitemapEntries) {
        st->out->entries.push_back(std::move(st->current));
      } else {
        ++st->out->dropped;
      }
    }
  }
  --st->depth;
}

void OnText(void* user, const XML_Char* s, int len) {
  auto* st = static_cast<ParseState*>(user);
  if (st->field.empty()) return;
  if (st->text.size() + static_cast<size_t>(len) > 8192) {
    Fail(st, "a <" + st->field + "> longer than 8192 bytes");
    return;
  }
  st->text.append(s, static_cast<size_t>(len));
}

void OnDoctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  Fail(static_cast<ParseState*>(user), "document type declarations are not allowed in sitemaps");
}

Result<Sitemap> ParseXml(std::string_view xml) {
  Sitemap out;
  ParseState st;
  st.out = &out;
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate(nullptr), &XML_ParserFree);
  if (!parser) return Status::Internal("expat could not create a parser");
  st.parser = parser.get();
  XML_SetUserData(st.parser, &st);
  XML_SetElementHandler(st.parser, &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(st.parser, &OnText);
  XML_SetStartDoctypeDeclHandler(st.parser, &OnDoctype);
  // Feed in slices: expat takes an int length.
  constexpr size_t kSlice = 1 << 20;
  size_t pos = 0;
  do {
    const size_t n = std::min(kSlice, xml.size() - pos);
    const bool last = pos + n == xml.size();
    if (XML_Parse(st.parser, xml.data() + pos, static_cast<int>(n), last ? XML_TRUE : XML_FALSE) != XML_STATUS_OK) {
      if (!st.error.empty()) return Status::InvalidArgument("sitemap: " + st.error);
      return Status::InvalidArgument("sitemap: malformed XML at line " +
                                     std::to_string(XML_GetCurrentLineNumber(st.parser)) + ": " +
                                     XML_ErrorString(XML_GetErrorCode(st.parser)));
    }
    pos += n;
  } while (pos < xml.size());
  if (!st.error.empty()) return Status::InvalidArgument("sitemap: " + st.error);
  if (st.root.empty()) return Status::InvalidArgument("sitemap: no root element");
  return out;
}

Sitemap ParseText(std::string_view text) {
  Sitemap out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty()) continue;
    if (out.entries.size() < kMaxSitemapEntries) {
      out.entries.push_back({std::move(line), ""});
    } else {
      ++out.dropped;
    }
  }
  return out;
}

}  // namespace

Result<Sitemap> ParseSitemap(std::string_view body) {
  std::string inflated;
  if (LooksGzipped(body)) {
    IMI_ASSIGN_OR_RETURN(inflated, Gunzip(body, kMaxSitemapBytes));
    body = inflated;
  }
  if (body.size() > kMaxSitemapBytes) {
    return Status::TooLarge("sitemap larger than " + std::to_string(kMaxSitemapBytes) + " bytes");
  }
  std::string_view start = body;
  if (start.substr(0, 3) == "\xEF\xBB\xBF") start.remove_prefix(3);
  while (!start.empty() && static_cast<unsigned char>(start.front()) <= 0x20) start.remove_prefix(1);
  if (!start.empty() && start.front() == '<') return ParseXml(body);
  return ParseText(start);
}

}  // namespace imi::crawl
