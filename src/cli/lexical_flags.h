#ifndef IMI_CLI_LEXICAL_FLAGS_H_
#define IMI_CLI_LEXICAL_FLAGS_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "store/vector_store.h"

namespace imi::cli {

// --analyzers (comma-separated names, or "none") and --bm25-k1/--bm25-b as
// a checked, canonical lexical spec. InvalidArgument naming the flag.
Result<store::LexicalSpec> ParseLexicalFlags(const std::string& analyzers, double k1, double b);

// "ja-mecab, ja-bigram", or "none".
std::string JoinAnalyzers(const std::vector<std::string>& analyzers);

}  // namespace imi::cli

#endif  // IMI_CLI_LEXICAL_FLAGS_H_
