// Measures main-text extraction on the whole sample site (tools/sitegen):
// the share of content lines kept and of boilerplate lines (headers, menus,
// breadcrumbs, footers, side bars, banners, link lists) removed, page by
// page, through the crawler's own decoding. The figures are printed and
// quoted in docs/crawl.md; the test fails when they fall below the bar.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "../store/store_test_util.h"
#include "base/file.h"
#include "crawl/decode.h"
#include "crawl/extractor.h"
#include "crawl/fetcher.h"
#include "site_fixture.h"

namespace imi::crawl {
namespace {

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.insert(line);
  return out;
}

TEST(ExtractMeasureTest, KeepsContentAndRemovesBoilerplateOnTheSampleSite) {
  store::testing::TempDir dir;
  const std::string site = dir.path() + "/site";
  ASSERT_EQ(testing::GenerateSite(site, 1), "");
  const nlohmann::json manifest = testing::LoadManifest(site);
  size_t content = 0, kept = 0, boiler = 0, removed = 0, pages = 0;
  for (const nlohmann::json& page : manifest["pages"]) {
    const nlohmann::json& file = manifest["files"][page["path"].get<std::string>()];
    auto bytes = ReadFileToString(site + "/site/" + file["file"].get<std::string>());
    ASSERT_TRUE(bytes.ok()) << page["path"];
    const std::string type = file["content_type"];
    const bool html = IsHtmlContentType(type);
    const DecodedBody decoded = DecodeBody(*bytes, type, html);
    const ExtractedPage extracted = html ? ExtractPage(decoded.text) : ExtractPlainText(decoded.text);
    const std::set<std::string> lines = Lines(extracted.text);
    ++pages;
    std::set<std::string> content_lines;
    for (const auto& line : page["content"]) {
      content_lines.insert(line.get<std::string>());
      ++content;
      if (lines.count(line.get<std::string>())) {
        ++kept;
      } else {
        ADD_FAILURE() << page["path"] << ": content line lost: " << line;
      }
    }
    for (const auto& line : page["boilerplate"]) {
      if (content_lines.count(line.get<std::string>())) continue;  // the same words are content here
      ++boiler;
      if (!lines.count(line.get<std::string>())) ++removed;
    }
  }
  const double kept_share = content ? static_cast<double>(kept) / content : 0;
  const double removed_share = boiler ? static_cast<double>(removed) / boiler : 0;
  std::printf("main-text extraction on the sample site: %zu pages; content lines kept %zu/%zu = %.4f; "
              "boilerplate lines removed %zu/%zu = %.4f\n",
              pages, kept, content, kept_share, removed, boiler, removed_share);
  EXPECT_GE(pages, 200u);
  EXPECT_GE(kept_share, 0.99);
  EXPECT_GE(removed_share, 0.95);
}

}  // namespace
}  // namespace imi::crawl
