// libFuzzer target for URL normalisation (crawl/url.h, uriparser): any bytes
// as a URL and as an href against a base; a result is an http(s) URL without
// a fragment, no longer than the limit, and normalising it again changes
// nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crawl/url.h"

namespace {

void CheckNormal(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) std::abort();
  if (url.find('#') != std::string::npos || url.size() > imi::crawl::kMaxUrlBytes) std::abort();
  auto again = imi::crawl::NormalizeUrl(url);
  if (!again.ok() || *again != url) std::abort();
  imi::crawl::HostKeyOf(url);
  imi::crawl::SectionOf(url);
  imi::crawl::PathAndQueryOf(url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto n = imi::crawl::NormalizeUrl(text); n.ok()) CheckNormal(*n);
  if (auto r = imi::crawl::ResolveUrl("http://city.example/kurashi/gomi/index.html?x=1", text); r.ok()) CheckNormal(*r);
  return 0;
}
