#include "store/lexical_analysis.h"

#include "analysis/analyzer.h"

namespace imi::store {

Result<std::string> LexicalSpecToJson(const LexicalSpec& spec) {
  nlohmann::json analyzers = nlohmann::json::array();
  for (const std::string& name : spec.analyzers) {
    IMI_ASSIGN_OR_RETURN(std::shared_ptr<const analysis::Analyzer> analyzer, analysis::GetAnalyzer(name));
    analyzers.push_back({{"name", name}, {"fingerprint", analyzer->Fingerprint()}});
  }
  return nlohmann::json{{"analyzers", analyzers}, {"k1", spec.bm25.k1}, {"b", spec.bm25.b}}.dump();
}

Result<LexicalSpec> LexicalSpecFromJson(const std::string& text) {
  LexicalSpec spec;
  if (text.empty() || text == "{}") return spec;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&text] { return Status::DataLoss("stored lexical settings are corrupt: " + text.substr(0, 200)); };
  if (!j.is_object() || !j.contains("analyzers") || !j["analyzers"].is_array()) return bad();
  for (const nlohmann::json& a : j["analyzers"]) {
    if (!a.is_object() || !a.contains("name") || !a["name"].is_string()) return bad();
    spec.analyzers.push_back(a["name"].get<std::string>());
  }
  if (j.contains("k1")) {
    if (!j["k1"].is_number()) return bad();
    spec.bm25.k1 = j["k1"].get<double>();
  }
  if (j.contains("b")) {
    if (!j["b"].is_number()) return bad();
    spec.bm25.b = j["b"].get<double>();
  }
  return spec;
}

Result<std::vector<lexical::TermCounts>> AnalyzeChunkText(const LexicalSpec& spec, const std::string& text) {
  std::vector<lexical::TermCounts> out;
  out.reserve(spec.analyzers.size());
  for (const std::string& name : spec.analyzers) {
    IMI_ASSIGN_OR_RETURN(std::shared_ptr<const analysis::Analyzer> analyzer, analysis::GetAnalyzer(name));
    IMI_ASSIGN_OR_RETURN(std::vector<analysis::Token> tokens, analyzer->Analyze(text));
    out.push_back(lexical::CountTerms(tokens));
  }
  return out;
}

Result<std::vector<std::vector<std::vector<lexical::TermCounts>>>> AnalyzeDocuments(
    const LexicalSpec& spec, const std::vector<Document>& docs) {
  std::vector<std::vector<std::vector<lexical::TermCounts>>> out(docs.size());
  if (spec.analyzers.empty()) return out;
  for (size_t d = 0; d < docs.size(); ++d) {
    for (const Chunk& chunk : docs[d].chunks) {
      IMI_ASSIGN_OR_RETURN(std::vector<lexical::TermCounts> fields, AnalyzeChunkText(spec, chunk.text));
      out[d].push_back(std::move(fields));
    }
  }
  return out;
}

Result<std::vector<lexical::QueryTerm>> AnalyzeQuery(const std::string& analyzer_name, const std::string& query) {
  IMI_ASSIGN_OR_RETURN(std::shared_ptr<const analysis::Analyzer> analyzer, analysis::GetAnalyzer(analyzer_name));
  IMI_ASSIGN_OR_RETURN(std::vector<analysis::Token> tokens, analyzer->Analyze(query));
  return lexical::CountQueryTerms(tokens);
}

}  // namespace imi::store
