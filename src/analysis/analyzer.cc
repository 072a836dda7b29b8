#include "analysis/analyzer.h"

#include <map>
#include <mutex>

#include "analysis/analyzers.h"

namespace imi::analysis {

namespace {

constexpr std::string_view kMecabPrefix = "ja-mecab";

// The definitions behind the names; measured in bench/README.md ("Lexical
// search quality") and fixed from then on (docs/lexical.md).
constexpr JaMecabOptions kJaMecabOptions{.base_form = true,
                                         .drop_function_words = true,
                                         .drop_dependent_words = true,
                                         .index_base_form_too = false,
                                         .folding = Folding::kCase};
constexpr Folding kSimpleFolding = Folding::kCase;

Status UnknownName(std::string_view name) {
  return Status::InvalidArgument("unknown analyzer \"" + std::string(name) +
                                 "\"; use ja-mecab, ja-mecab:unidic, ja-bigram or simple");
}

}  // namespace

Result<std::string> CanonicalAnalyzerName(std::string_view name) {
  if (name == "ja-bigram" || name == "simple") return std::string(name);
  if (name.substr(0, kMecabPrefix.size()) != kMecabPrefix) return UnknownName(name);
  std::string_view rest = name.substr(kMecabPrefix.size());
  if (rest.empty()) return std::string(kMecabPrefix);
  if (rest[0] != ':' || rest.size() == 1) return UnknownName(name);
  std::string_view dictionary = rest.substr(1);
  if (dictionary == kDefaultDictionary) return std::string(kMecabPrefix);
  if (dictionary == "unidic" || dictionary[0] == '/') return std::string(name);
  return UnknownName(name);
}

Result<std::shared_ptr<const Analyzer>> GetAnalyzer(std::string_view name) {
  IMI_ASSIGN_OR_RETURN(std::string canonical, CanonicalAnalyzerName(name));
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Analyzer>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(canonical);
  if (it != loaded.end()) return it->second;
  std::unique_ptr<Analyzer> analyzer;
  if (canonical == "ja-bigram") {
    analyzer = MakeBigramAnalyzer(canonical);
  } else if (canonical == "simple") {
    analyzer = MakeSimpleAnalyzer(canonical, kSimpleFolding);
  } else {
    const std::string_view dictionary =
        canonical.size() > kMecabPrefix.size() ? std::string_view(canonical).substr(kMecabPrefix.size() + 1) : "";
    IMI_ASSIGN_OR_RETURN(DictionaryRef ref, ResolveDictionary(dictionary));
    IMI_ASSIGN_OR_RETURN(analyzer, MakeJaMecabAnalyzer(canonical, ref, kJaMecabOptions));
  }
  std::shared_ptr<const Analyzer> shared(std::move(analyzer));
  loaded.emplace(canonical, shared);
  return shared;
}

}  // namespace imi::analysis
