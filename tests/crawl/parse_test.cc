// The crawler's parsers: URLs, robots.txt, sitemaps, gzip, charsets, main
// text. Cases are small and written out; the whole sample site is measured
// by extract_measure_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "base/file.h"
#include "crawl/charset.h"
#include "crawl/decode.h"
#include "crawl/extractor.h"
#include "crawl/gzip.h"
#include "crawl/robots.h"
#include "crawl/sitemap.h"
#include "crawl/url.h"

namespace imi::crawl {
namespace {

std::string Norm(const std::string& url) {
  auto r = NormalizeUrl(url);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

std::string Resolve(const std::string& base, const std::string& ref) {
  auto r = ResolveUrl(base, ref);
  return r.ok() ? *r : "ERROR";
}

TEST(UrlTest, NormalisesSchemeHostPortPathAndDropsTheFragment) {
  EXPECT_EQ(Norm("HTTP://WWW.City.Example.JP:80/a/./b/../c.html#top"), "http://www.city.example.jp/a/c.html");
  EXPECT_EQ(Norm("https://example.org:443"), "https://example.org/");
  EXPECT_EQ(Norm("http://example.org:8080/x?b=2&a=1"), "http://example.org:8080/x?b=2&a=1");
  EXPECT_EQ(Norm("http://example.org/%7euser/%e3%81%82"), "http://example.org/~user/%E3%81%82");
  EXPECT_EQ(Norm("  http://example.org/a b\n"), "http://example.org/a%20b");
  EXPECT_EQ(Norm("http://example.org/検索"), "http://example.org/%E6%A4%9C%E7%B4%A2");
  EXPECT_EQ(Norm("http://example.org./"), "http://example.org/");
}

TEST(UrlTest, RejectsOtherSchemesCredentialsAndRelativeUrls) {
  EXPECT_FALSE(NormalizeUrl("mailto:a@example.org").ok());
  EXPECT_FALSE(NormalizeUrl("ftp://example.org/").ok());
  EXPECT_FALSE(NormalizeUrl("http://user:pw@example.org/").ok());
  EXPECT_FALSE(NormalizeUrl("/relative/path").ok());
  EXPECT_FALSE(NormalizeUrl("http://example.org:99999/").ok());
  EXPECT_FALSE(NormalizeUrl("http://example.org/" + std::string(5000, 'a')).ok());
}

TEST(UrlTest, ResolvesHrefsLikeABrowser) {
  const std::string base = "http://city.example/kurashi/gomi/index.html";
  EXPECT_EQ(Resolve(base, "calendar.html"), "http://city.example/kurashi/gomi/calendar.html");
  EXPECT_EQ(Resolve(base, "../juminhyo.html#a"), "http://city.example/kurashi/juminhyo.html");
  EXPECT_EQ(Resolve(base, "/"), "http://city.example/");
  EXPECT_EQ(Resolve(base, "?page=2"), "http://city.example/kurashi/gomi/index.html?page=2");
  EXPECT_EQ(Resolve(base, "//other.example/x"), "http://other.example/x");
  EXPECT_EQ(Resolve(base, "\\kanko\\index.html"), "http://city.example/kanko/index.html");
  EXPECT_EQ(Resolve(base, "https://City.Example:443/A"), "https://city.example/A");
}

TEST(UrlTest, PartsOfANormalisedUrl) {
  EXPECT_EQ(HostKeyOf("http://127.0.0.1:8080/a"), "127.0.0.1:8080");
  EXPECT_EQ(HostKeyOf("https://city.example/a"), "city.example");
  EXPECT_EQ(PathAndQueryOf("http://h/a/b?x=1"), "/a/b?x=1");
  EXPECT_EQ(PathAndQueryOf("http://h/"), "/");
  EXPECT_EQ(OriginOf("http://h:81/a/b"), "http://h:81");
  EXPECT_EQ(SectionOf("http://h/kurashi/gomi.html"), "kurashi");
  EXPECT_EQ(SectionOf("http://h/kurashi/"), "kurashi");
  EXPECT_EQ(SectionOf("http://h/index.html"), "");
  EXPECT_EQ(SectionOf("http://h/%E3%81%8F%E3%82%89%E3%81%97/a.html"), "くらし");
}

TEST(RobotsTest, LongestMatchWinsAndAllowWinsTies) {
  const RobotsRules rules = RobotsRules::Parse(
      "User-agent: *\nDisallow: /admin/\nAllow: /admin/public/\nDisallow: /*.pdf$\nDisallow: /tmp\nAllow: /tmp\n",
      "imi-crawler/0.1");
  EXPECT_FALSE(rules.Allowed("/admin/users.html"));
  EXPECT_TRUE(rules.Allowed("/admin/public/info.html"));
  EXPECT_FALSE(rules.Allowed("/docs/plan.pdf"));
  EXPECT_TRUE(rules.Allowed("/docs/plan.pdf?download=1"));
  EXPECT_TRUE(rules.Allowed("/tmp/x"));
  EXPECT_TRUE(rules.Allowed("/kurashi/"));
  EXPECT_TRUE(rules.Allowed("/robots.txt"));
}

TEST(RobotsTest, OwnGroupReplacesTheStarGroupAndGroupsMerge) {
  const std::string text =
      "# comment\nUser-agent: *\nDisallow: /\n\nUser-agent: Imi-Crawler\nUser-agent: other\nDisallow: /private\n"
      "Crawl-delay: 1.5\nSitemap: https://city.example/sitemap.xml\n\nUser-agent: imi-crawler\nDisallow: /draft\n";
  const RobotsRules ours = RobotsRules::Parse(text, "imi-crawler/0.1 (+https://example.org)");
  EXPECT_TRUE(ours.Allowed("/kurashi/"));
  EXPECT_FALSE(ours.Allowed("/private/x"));
  EXPECT_FALSE(ours.Allowed("/draft/x"));
  ASSERT_TRUE(ours.crawl_delay_seconds().has_value());
  EXPECT_DOUBLE_EQ(*ours.crawl_delay_seconds(), 1.5);
  ASSERT_EQ(ours.sitemaps().size(), 1u);
  EXPECT_EQ(ours.sitemaps()[0], "https://city.example/sitemap.xml");
  const RobotsRules others = RobotsRules::Parse(text, "SomeBot/2");
  EXPECT_FALSE(others.Allowed("/kurashi/"));
  EXPECT_FALSE(others.crawl_delay_seconds().has_value());
}

TEST(RobotsTest, EmptyDisallowAllowsAndUnreachableDisallowsAll) {
  EXPECT_TRUE(RobotsRules::Parse("User-agent: *\nDisallow:\n", "imi").Allowed("/a"));
  EXPECT_TRUE(RobotsRules::AllowAll().Allowed("/a"));
  EXPECT_FALSE(RobotsRules::DisallowAll().Allowed("/a"));
  EXPECT_TRUE(RobotsRules::DisallowAll().Allowed("/robots.txt"));
}

TEST(RobotsTest, PatternsMatchWildcardsAndAnchors) {
  EXPECT_TRUE(RobotsPatternMatches("/a*b", "/axxb/c"));
  EXPECT_TRUE(RobotsPatternMatches("/a*b$", "/axbyb"));
  EXPECT_FALSE(RobotsPatternMatches("/a*b$", "/axbyc"));
  EXPECT_TRUE(RobotsPatternMatches("*", "/anything"));
  EXPECT_FALSE(RobotsPatternMatches("/abc", "/ab"));
  EXPECT_TRUE(RobotsPatternMatches("/%E6%A4%9C", "/%E6%A4%9C%E7%B4%A2"));
}

TEST(SitemapTest, ReadsUrlsetsIndexesGzipAndTextSitemaps) {
  auto urlset = ParseSitemap(
      "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
      "<url><loc> https://city.example/a.html </loc><lastmod>2026-03-02</lastmod></url>"
      "<url><loc>https://city.example/b.html?x=1&amp;y=2</loc></url></urlset>");
  ASSERT_TRUE(urlset.ok()) << urlset.status().message();
  EXPECT_FALSE(urlset->is_index);
  ASSERT_EQ(urlset->entries.size(), 2u);
  EXPECT_EQ(urlset->entries[0].loc, "https://city.example/a.html");
  EXPECT_EQ(urlset->entries[0].lastmod, "2026-03-02");
  EXPECT_EQ(urlset->entries[1].loc, "https://city.example/b.html?x=1&y=2");

  auto index = ParseSitemap("<sm:sitemapindex xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                            "<sm:sitemap><sm:loc>https://city.example/s1.xml.gz</sm:loc></sm:sitemap></sm:sitemapindex>");
  ASSERT_TRUE(index.ok());
  EXPECT_TRUE(index->is_index);
  ASSERT_EQ(index->entries.size(), 1u);

  // tests/data/crawl/sitemap.xml.gz: a one-URL urlset and an empty second gzip member.
  auto gz = ReadFileToString(std::string(IMI_SOURCE_DIR) + "/tests/data/crawl/sitemap.xml.gz");
  ASSERT_TRUE(gz.ok());
  auto gz_result = ParseSitemap(*gz);
  ASSERT_TRUE(gz_result.ok()) << gz_result.status().message();
  ASSERT_EQ(gz_result->entries.size(), 1u);
  EXPECT_EQ(gz_result->entries[0].loc, "http://h/");

  auto text = ParseSitemap("https://city.example/a.html\n\nhttps://city.example/b.html\n");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->entries.size(), 2u);
}

TEST(SitemapTest, RefusesDoctypesOtherRootsAndBrokenXml) {
  EXPECT_EQ(ParseSitemap("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><urlset><url><loc>&a;</loc></url></urlset>")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSitemap("<html><body>Not found</body></html>").ok());
  EXPECT_FALSE(ParseSitemap("<urlset><url><loc>x</loc></url>").ok());
}

TEST(GzipTest, StopsAtTheSizeLimitAndReportsCorruptData) {
  auto zeros = ReadFileToString(std::string(IMI_SOURCE_DIR) + "/tests/data/crawl/zeros-1m.gz");
  ASSERT_TRUE(zeros.ok());
  ASSERT_TRUE(LooksGzipped(*zeros));
  auto whole = Gunzip(*zeros, 1000000);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->size(), 1000000u);
  EXPECT_EQ(Gunzip(*zeros, 4096).status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(Gunzip(zeros->substr(0, zeros->size() / 2), 1 << 20).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Gunzip(std::string("\x1f\x8b\x08\x00garbage"), 1 << 20).ok());
  EXPECT_FALSE(LooksGzipped("<?xml"));
}

TEST(CharsetTest, CanonicalNamesFollowTheWebsLabels) {
  EXPECT_EQ(CanonicalCharset("Shift_JIS"), "Shift_JIS");
  EXPECT_EQ(CanonicalCharset("x-sjis"), "Shift_JIS");
  EXPECT_EQ(CanonicalCharset("CP932"), "Shift_JIS");
  EXPECT_EQ(CanonicalCharset("euc-jp"), "EUC-JP");
  EXPECT_EQ(CanonicalCharset("ISO-2022-JP"), "ISO-2022-JP");
  EXPECT_EQ(CanonicalCharset("utf8"), "UTF-8");
  EXPECT_EQ(CanonicalCharset("iso-8859-1"), "windows-1252");
  EXPECT_EQ(CanonicalCharset("no-such-charset"), "");
}

// "東京都みどり野市" in each charset (bytes from Python's codecs).
const std::string kUtf8 = "東京都みどり野市";
const std::string kSjis = "\x93\x8c\x8b\x9e\x93\x73\x82\xdd\x82\xc7\x82\xe8\x96\xec\x8e\x73";
const std::string kEuc = "\xc5\xec\xb5\xfe\xc5\xd4\xa4\xdf\xa4\xc9\xa4\xea\xcc\xee\xbb\xd4";
const std::string kJis = "\x1b\x24\x42\x45\x6c\x35\x7e\x45\x54\x24\x5f\x24\x49\x24\x6a\x4c\x6e\x3b\x54\x1b\x28\x42";

TEST(CharsetTest, ConvertsJapaneseCharsetsToUtf8) {
  size_t replaced = 99;
  auto sjis = ConvertToUtf8(kSjis, "Shift_JIS", &replaced);
  ASSERT_TRUE(sjis.ok());
  EXPECT_EQ(*sjis, kUtf8);
  EXPECT_EQ(replaced, 0u);
  EXPECT_EQ(*ConvertToUtf8(kEuc, "EUC-JP", nullptr), kUtf8);
  EXPECT_EQ(*ConvertToUtf8(kJis, "ISO-2022-JP", nullptr), kUtf8);
  // Windows-31J: NEC and IBM extensions, and 0x8160 as U+FF5E like browsers.
  EXPECT_EQ(*ConvertToUtf8("\x87\x40\x81\x60", "Shift_JIS", nullptr), "①～");
  auto broken = ConvertToUtf8(kSjis.substr(0, 3), "Shift_JIS", &replaced);
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(replaced, 1u);
  EXPECT_FALSE(ConvertToUtf8("x", "no-such-charset", nullptr).ok());
}

TEST(DecodeTest, BomThenHeaderThenMetaThenDetection) {
  const std::string page = "<html><head><title>t</title></head><body><p>" + kSjis + "の" + kSjis + "</p></body></html>";
  // The header names the charset.
  DecodedBody header = DecodeBody(page, "text/html; charset=\"Shift_JIS\"", true);
  EXPECT_EQ(header.charset, "Shift_JIS");
  EXPECT_EQ(header.source, "header");
  EXPECT_NE(header.text.find(kUtf8), std::string::npos);
  // A <meta http-equiv> names it.
  const std::string meta_page =
      "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-jp\"></head><body>" + kEuc +
      kEuc + "</body></html>";
  DecodedBody meta = DecodeBody(meta_page, "text/html", true);
  EXPECT_EQ(meta.charset, "EUC-JP");
  EXPECT_EQ(meta.source, "meta");
  // Nothing declared: detected.
  DecodedBody detected = DecodeBody("<p>" + kJis + "</p>", "text/html", true);
  EXPECT_EQ(detected.charset, "ISO-2022-JP");
  EXPECT_EQ(detected.source, "detected");
  EXPECT_NE(detected.text.find(kUtf8), std::string::npos);
  DecodedBody sjis = DecodeBody("<p>" + kSjis + kSjis + kSjis + "</p>", "", true);
  EXPECT_EQ(sjis.charset, "Shift_JIS");
  EXPECT_EQ(sjis.source, "detected");
  // A BOM wins over the header (as in browsers).
  DecodedBody bom = DecodeBody("\xEF\xBB\xBF<p>" + kUtf8 + "</p>", "text/html; charset=Shift_JIS", true);
  EXPECT_EQ(bom.charset, "UTF-8");
  EXPECT_EQ(bom.source, "bom");
  EXPECT_EQ(bom.text, "<p>" + kUtf8 + "</p>");
  // A declared charset the bytes do not fit is overruled by detection.
  DecodedBody wrong = DecodeBody("<meta charset=\"Shift_JIS\"><p>" + kUtf8 + "</p>", "text/html", true);
  EXPECT_EQ(wrong.charset, "UTF-8");
  EXPECT_EQ(wrong.source, "detected");
  EXPECT_EQ(wrong.declared, "Shift_JIS");
}

TEST(DecodeTest, FindsCharsetLabels) {
  EXPECT_EQ(CharsetParameter("text/html;charset=UTF-8"), "UTF-8");
  EXPECT_EQ(CharsetParameter("text/html; Charset = 'x-sjis' ; q=1"), "x-sjis");
  EXPECT_EQ(CharsetParameter("text/html"), "");
  EXPECT_EQ(MetaCharsetLabel("<html><head><META CHARSET=euc-jp></head>"), "euc-jp");
  EXPECT_EQ(MetaCharsetLabel("<head></head><body><meta charset=utf-8></body>"), "");
}

TEST(ExtractorTest, KeepsMainContentAndDropsSiteParts) {
  const ExtractedPage page = ExtractPage(R"(<!DOCTYPE html><html lang="ja"><head>
<title>燃やすごみ｜みどり野市</title><meta name="description" content="ごみの案内">
<link rel="canonical" href="/kurashi/gomi.html"></head><body>
<div id="tmp_header"><p>みどり野市</p><ul><li><a href="/sitemap.html">サイトマップ</a></li></ul></div>
<nav><ul><li><a href="/kurashi/">くらし</a></li><li><a href="/kanko/">観光</a></li></ul></nav>
<div id="tmp_pankuzu"><a href="/">ホーム</a> &gt; 燃やすごみ</div>
<div id="tmp_contents"><h1>燃やすごみ</h1><p>燃やすごみは月曜日に出してください。</p>
<p>詳しくは<a href="/kurashi/cal.html">カレンダー</a>をご覧ください。</p>
<h2>対象</h2><ul><li>生ごみ</li><li>紙くず</li></ul>
<div class="related"><h2>関連リンク</h2><ul><li><a href="/a">A</a></li></ul></div>
<h2>空の見出し</h2></div>
<aside><p>サイドバー</p></aside><div class="bnr_area"><a href="/b">広告</a></div>
<footer><p>みどり野市役所</p></footer></body></html>)");
  EXPECT_EQ(page.title, "燃やすごみ｜みどり野市");
  EXPECT_EQ(page.description, "ごみの案内");
  EXPECT_EQ(page.lang, "ja");
  EXPECT_EQ(page.canonical, "/kurashi/gomi.html");
  EXPECT_EQ(page.text,
            "燃やすごみ\n燃やすごみは月曜日に出してください。\n詳しくはカレンダーをご覧ください。\n対象\n生ごみ\n紙くず");
  EXPECT_EQ(page.links.size(), 7u);
  EXPECT_FALSE(page.noindex);
}

TEST(ExtractorTest, WithoutMarkedMainContentDropsMenusAndLinkLists) {
  const ExtractedPage page = ExtractPage(
      "<html><head><meta name=robots content=\"noindex,nofollow\"></head><body><table><tr>"
      "<td class=menu><a href=/>トップ</a><br><a href=/a>一覧</a></td>"
      "<td><h2>お知らせ</h2><p>旧庁舎は閉鎖しました。</p><p><a href=/1>一</a></p><p><a href=/2>二</a></p></td>"
      "</tr></table><a href=\"javascript:void(0)\">x</a><a href=\"mailto:a@b\">m</a><a href=\"#top\">t</a>"
      "<meta http-equiv=refresh content=\"0; URL='/moved.html'\"></body></html>");
  EXPECT_EQ(page.text, "お知らせ\n旧庁舎は閉鎖しました。");
  EXPECT_EQ(page.title, "");
  EXPECT_TRUE(page.noindex);
  EXPECT_TRUE(page.nofollow);
  ASSERT_EQ(page.links.size(), 5u);
  EXPECT_EQ(page.links.back(), "/moved.html");
}

TEST(ExtractorTest, PlainTextTitleIsTheFirstLine) {
  const ExtractedPage page = ExtractPlainText("  ごみ収集日程 \n\n燃やすごみ　月曜日\n");
  EXPECT_EQ(page.title, "ごみ収集日程");
  EXPECT_EQ(page.text, "ごみ収集日程\n燃やすごみ　月曜日");
}

}  // namespace
}  // namespace imi::crawl
