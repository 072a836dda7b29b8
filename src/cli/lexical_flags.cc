#include "cli/lexical_flags.h"

#include <sstream>

namespace imi::cli {

Result<store::LexicalSpec> ParseLexicalFlags(const std::string& analyzers, double k1, double b) {
  store::LexicalSpec spec;
  spec.bm25 = {k1, b};
  if (analyzers != "none") {
    std::stringstream in(analyzers);
    std::string name;
    while (std::getline(in, name, ',')) {
      const size_t first = name.find_first_not_of(' ');
      const size_t last = name.find_last_not_of(' ');
      if (first == std::string::npos) continue;
      spec.analyzers.push_back(name.substr(first, last - first + 1));
    }
  }
  Status status = store::ValidateLexicalSpec(&spec);
  if (!status.ok()) return status.WithContext("--analyzers/--bm25");
  return spec;
}

std::string JoinAnalyzers(const std::vector<std::string>& analyzers) {
  if (analyzers.empty()) return "none";
  std::string out;
  for (const std::string& a : analyzers) out += (out.empty() ? "" : ", ") + a;
  return out;
}

}  // namespace imi::cli
