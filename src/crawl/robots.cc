// robots.txt after RFC 9309. Hand-written: Debian packages no robots.txt
// parser for C or C++ (Google's reference parser is not packaged), and the
// format is a few line rules. Fuzzed by fuzz/robots_fuzzer.cc.
#include "crawl/robots.h"

#include <cctype>
#include <cstdlib>

namespace imi::crawl {

namespace {

constexpr size_t kMaxRobotsBytes = 512 * 1024;
// Longest pattern considered; longer lines are ignored (they could only make
// matching slow).
constexpr size_t kMaxPatternBytes = 2048;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The product token of a User-Agent header: "imi-crawler/0.1 (...)" -> "imi-crawler".
std::string ProductToken(std::string_view user_agent) {
  user_agent = Trim(user_agent);
  const size_t end = user_agent.find_first_of("/ \t;(");
  return Lower(user_agent.substr(0, end));
}

// Percent-escapes in upper case, bytes outside printable ASCII escaped, so
// patterns compare with normalised URLs.
std::string NormalizePattern(std::string_view p) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '%' && i + 2 < p.size() && std::isxdigit(static_cast<unsigned char>(p[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(p[i + 2]))) {
      out += '%';
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(p[i + 1])));
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(p[i + 2])));
      i += 2;
    } else if (c >= 0x7F || c <= 0x20) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

bool RobotsPatternMatches(std::string_view pattern, std::string_view path) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // Greedy wildcard matching with one back-tracking point: linear in
  // practice, O(pattern * path) at worst.
  size_t p = 0, s = 0, star = std::string_view::npos, mark = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (p == pattern.size() && !anchored) {
      return true;  // the pattern is a prefix of the path
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

RobotsRules RobotsRules::AllowAll() { return RobotsRules(); }

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules rules;
  rules.disallow_all_ = true;
  return rules;
}

RobotsRules RobotsRules::Parse(std::string_view text, std::string_view user_agent) {
  if (text.size() > kMaxRobotsBytes) text = text.substr(0, kMaxRobotsBytes);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const std::string token = ProductToken(user_agent);

  struct Group {
    std::vector<std::string> agents;
    std::vector<Rule> rules;
    std::optional<double> delay;
  };
  std::vector<Group> groups;
  RobotsRules out;
  bool last_was_agent = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!last_was_agent) groups.emplace_back();
      groups.back().agents.push_back(Lower(value));
      last_was_agent = true;
      continue;
    }
    if (key == "sitemap") {
      if (!value.empty() && value.size() <= kMaxPatternBytes && out.sitemaps_.size() < 1000)
        out.sitemaps_.emplace_back(value);
      continue;  // sitemap lines do not end a group's agent list (RFC 9309 2.2.4)
    }
    last_was_agent = false;
    if (groups.empty()) continue;  // rules before any User-agent line
    if (key == "allow" || key == "disallow") {
      if (value.size() > kMaxPatternBytes) continue;
      if (value.empty()) continue;  // "Disallow:" allows everything
      groups.back().rules.push_back({key == "allow", NormalizePattern(value)});
    } else if (key == "crawl-delay") {
      char* stop = nullptr;
      const std::string number(value);
      const double v = std::strtod(number.c_str(), &stop);
      if (stop != number.c_str() && v >= 0 && v <= 86400) groups.back().delay = v;
    }
  }

  auto collect = [&](auto&& matches) {
    bool any = false;
    for (const Group& g : groups) {
      bool hit = false;
      for (const std::string& a : g.agents) hit = hit || matches(a);
      if (!hit) continue;
      any = true;
      out.rules_.insert(out.rules_.end(), g.rules.begin(), g.rules.end());
      if (g.delay && (!out.crawl_delay_seconds_ || *g.delay > *out.crawl_delay_seconds_)) out.crawl_delay_seconds_ = g.delay;
    }
    return any;
  };
  if (token.empty() || !collect([&](const std::string& a) { return a == token; })) {
    collect([](const std::string& a) { return a == "*"; });
  }
  return out;
}

bool RobotsRules::Allowed(std::string_view path_and_query) const {
  if (path_and_query == "/robots.txt") return true;
  if (disallow_all_) return false;
  size_t best_length = 0;
  bool best_allow = true;
  bool matched = false;
  for (const Rule& rule : rules_) {
    if (!RobotsPatternMatches(rule.pattern, path_and_query)) continue;
    const size_t length = rule.pattern.size();
    if (!matched || length > best_length || (length == best_length && rule.allow && !best_allow)) {
      best_length = length;
      best_allow = rule.allow;
      matched = true;
    }
  }
  return !matched || best_allow;
}

}  // namespace imi::crawl
