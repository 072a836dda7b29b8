#ifndef IMI_STORE_LEXICAL_ANALYSIS_H_
#define IMI_STORE_LEXICAL_ANALYSIS_H_

#include <string>
#include <vector>

#include "base/result.h"
#include "lexical/bm25.h"
#include "store/vector_store.h"

namespace imi::store {

// What both backends share about the lexical index: how a collection's
// lexical spec is stored, and how chunk texts and queries become terms.

// The stored form of a spec: {"analyzers":[{"name","fingerprint"}],"k1","b"};
// fingerprints (analysis::Analyzer::Fingerprint) record the dictionary the
// terms were made with. NotFound when an analyser's dictionary is missing.
Result<std::string> LexicalSpecToJson(const LexicalSpec& spec);
// Parses the stored form ("" or "{}" = no lexical index). DataLoss when it
// is not what LexicalSpecToJson writes.
Result<LexicalSpec> LexicalSpecFromJson(const std::string& text);

// The term counts of `text` under each analyser of `spec` (one entry per
// analyser, empty for a text without terms). NotFound when a dictionary is
// missing.
Result<std::vector<lexical::TermCounts>> AnalyzeChunkText(const LexicalSpec& spec, const std::string& text);

// Term counts of every chunk of `docs`: result[d][c][field].
Result<std::vector<std::vector<std::vector<lexical::TermCounts>>>> AnalyzeDocuments(const LexicalSpec& spec,
                                                                                   const std::vector<Document>& docs);

// The distinct terms of a query under analyser `name`, bytewise ordered.
Result<std::vector<lexical::QueryTerm>> AnalyzeQuery(const std::string& analyzer, const std::string& query);

}  // namespace imi::store

#endif  // IMI_STORE_LEXICAL_ANALYSIS_H_
