// libFuzzer target for robots.txt (crawl/robots.h): any bytes parse; the
// verdicts are stable and /robots.txt is always allowed; a Crawl-delay is in
// range. The first line of the input doubles as the user agent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crawl/robots.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string agent(text.substr(0, std::min<size_t>(text.find('\n'), 64)));
  const imi::crawl::RobotsRules rules = imi::crawl::RobotsRules::Parse(text, agent);
  if (!rules.Allowed("/robots.txt")) std::abort();
  for (const char* path : {"/", "/admin/", "/a/b.html?x=1", "/%E3%81%82", ""}) {
    if (rules.Allowed(path) != rules.Allowed(path)) std::abort();
  }
  if (rules.crawl_delay_seconds() && (*rules.crawl_delay_seconds() < 0 || *rules.crawl_delay_seconds() > 86400))
    std::abort();
  // Patterns from the input against paths from the input: must terminate.
  const size_t half = size / 2;
  imi::crawl::RobotsPatternMatches(text.substr(0, std::min<size_t>(half, 256)), text.substr(half, 256));
  return 0;
}
