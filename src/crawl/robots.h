#ifndef IMI_CRAWL_ROBOTS_H_
#define IMI_CRAWL_ROBOTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imi::crawl {

// The rules of one robots.txt (RFC 9309) for one user agent: the groups
// whose User-agent lines name the agent's product token (case-insensitive),
// merged, or else the "*" groups. Allow/Disallow patterns support '*' and a
// trailing '$'; the longest matching pattern wins and Allow wins a tie.
// Crawl-delay (not in the RFC, but common) is read from the same groups.
// Sitemap lines are global. Immutable after parsing; thread-safe to read.
class RobotsRules {
 public:
  // Everything allowed (no robots.txt, or one that could not be found).
  static RobotsRules AllowAll();
  // Everything disallowed (robots.txt unreachable: RFC 9309 section 2.3.1.4).
  static RobotsRules DisallowAll();
  // Parses `text` for `user_agent` (a User-Agent header such as
  // "imi-crawler/0.1 (+https://...)": the token before '/' or ' ' is
  // matched). Only the first 512 KiB are read; lines that do not parse are
  // ignored. Never fails.
  static RobotsRules Parse(std::string_view text, std::string_view user_agent);

  // Whether `path_and_query` ("/a/b?c", percent-encoded as in a normalised
  // URL) may be fetched. "/robots.txt" is always allowed.
  bool Allowed(std::string_view path_and_query) const;
  // Crawl-delay in seconds for this agent, when given.
  std::optional<double> crawl_delay_seconds() const { return crawl_delay_seconds_; }
  // Sitemap URLs as written (not yet resolved or normalised).
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  struct Rule {
    bool allow = false;
    std::string pattern;  // normalised: percent-escapes upper-case
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_seconds_;
  std::vector<std::string> sitemaps_;
  bool disallow_all_ = false;
};

// Whether `path` matches robots.txt `pattern` ('*' any run of bytes, '$' at
// the end anchors). Exposed for tests.
bool RobotsPatternMatches(std::string_view pattern, std::string_view path);

}  // namespace imi::crawl

#endif  // IMI_CRAWL_ROBOTS_H_
