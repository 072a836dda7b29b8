// libFuzzer target for the request parsing imi's transport added around the
// HTTP library: the request target (path and query, percent-decoding) and
// request bodies parsed into JSON with only some top-level fields built and
// a memory budget charged. The input's first byte chooses the budget; the
// rest is both the target and the body. Checks: decoding never grows a
// string; a filtered parse accepts exactly the bodies the full parse accepts
// (the budget aside) and keeps exactly the wanted fields of an object, equal
// to the full parse's; what a parse charged is released with its lease.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http_types.h"
#include "server/json_io.h"
#include "server/memory_budget.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t budget_bytes = static_cast<size_t>(data[0]) * 4096;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string path;
  std::multimap<std::string, std::string> query;
  imi::server::ParseRequestTarget(input, &path, &query);
  Check(path.size() <= input.size());
  for (const auto& [name, value] : query) Check(name.size() + value.size() <= input.size());
  Check(imi::server::PercentDecode(input, true).size() <= input.size());

  const auto full = imi::server::ParseJsonBody(input);
  imi::server::MemoryBudget budget(budget_bytes);
  {
    imi::server::MemoryLease lease(&budget);
    std::vector<std::string> skipped;
    imi::server::JsonBodyOptions options;
    options.memory = budget_bytes > 0 ? &lease : nullptr;
    options.fields = {"a", "texts", "input"};
    options.skipped = &skipped;
    const auto filtered = imi::server::ParseJsonBody(input, options);
    const bool over_budget = !filtered.ok() && (filtered.status().code() == imi::StatusCode::kTooLarge ||
                                                filtered.status().code() == imi::StatusCode::kUnavailable);
    if (!over_budget) Check(full.ok() == filtered.ok());
    if (full.ok() && filtered.ok()) {
      if (full->is_object()) {
        Check(filtered->is_object());
        for (const auto& [key, value] : full->items()) {
          const bool wanted = key == "a" || key == "texts" || key == "input";
          Check(filtered->contains(key) == wanted);
          if (wanted) Check((*filtered)[key] == value);
        }
      } else {
        Check(*filtered == *full);
      }
    }
    Check(budget.in_use() == lease.held());
  }
  Check(budget.in_use() == 0);
  return 0;
}
