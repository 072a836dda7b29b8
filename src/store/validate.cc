#include <cmath>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "analysis/analyzer.h"
#include "base/utf8.h"
#include "store/vector_store.h"

namespace imi::store {

Status ValidateMetadata(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return Status::InvalidArgument("metadata must be a JSON object");
  // Depth first, iteratively: only then is dump() (recursive) safe.
  std::vector<std::pair<const nlohmann::json*, size_t>> stack = {{&metadata, 1}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxMetadataDepth)
      return Status::InvalidArgument("metadata nests objects/arrays deeper than " + std::to_string(kMaxMetadataDepth) +
                                     " levels");
    for (const nlohmann::json& child : *value)
      if (child.is_structured()) stack.emplace_back(&child, depth + 1);
  }
  size_t bytes = 0;
  try {
    bytes = metadata.dump().size();
  } catch (const nlohmann::json::exception&) {
    return Status::InvalidArgument("metadata holds a string that is not valid UTF-8");
  }
  if (bytes > kMaxMetadataBytes)
    return Status::InvalidArgument("metadata is " + std::to_string(bytes) + " bytes as JSON, more than the limit of " +
                                   std::to_string(kMaxMetadataBytes));
  return Status::Ok();
}

Status ValidateCollectionName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) ok = false;
  }
  if (!ok)
    return Status::InvalidArgument("bad collection name \"" + name +
                                   "\": use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'");
  return Status::Ok();
}

Status ValidateDocumentId(const std::string& id) {
  if (id.empty() || id.size() > 256)
    return Status::InvalidArgument("document ids must be 1 to 256 bytes long");
  if (utf8::FindInvalid(id) != std::string::npos)
    return Status::InvalidArgument("document id is not valid UTF-8");
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::InvalidArgument("document id contains a control character");
  }
  return Status::Ok();
}

std::string GenerateDocumentId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = rng();
    for (int i = 0; i < 16; ++i) {
      id += kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return id;
}

Status ValidateCollectionSpec(const CollectionSpec& spec) {
  IMI_RETURN_IF_ERROR(ValidateCollectionName(spec.name));
  if (spec.dimension < 1 || spec.dimension > 16000)
    return Status::InvalidArgument("collection dimension must be between 1 and 16000, got " +
                                   std::to_string(spec.dimension));
  if (spec.model_id.empty()) return Status::InvalidArgument("collection needs the embedding model's id");
  return Status::Ok();
}

Status ValidateLexicalSpec(LexicalSpec* lexical) {
  constexpr size_t kMaxAnalyzers = 8;
  if (lexical->analyzers.size() > kMaxAnalyzers) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxAnalyzers) + " analyzers per collection");
  }
  std::set<std::string> seen;
  for (std::string& name : lexical->analyzers) {
    IMI_ASSIGN_OR_RETURN(std::string canonical, analysis::CanonicalAnalyzerName(name));
    if (!seen.insert(canonical).second) {
      return Status::InvalidArgument("analyzer \"" + name + "\" is listed twice (as " + canonical + ")");
    }
    name = std::move(canonical);
  }
  return lexical::ValidateBm25(lexical->bm25);
}

namespace {

Status CheckVector(const CollectionSpec& spec, const std::vector<float>& v, const std::string& what) {
  if (v.size() != static_cast<size_t>(spec.dimension))
    return Status::FailedPrecondition(what + " has " + std::to_string(v.size()) + " dimensions but collection \"" +
                                      spec.name + "\" holds " + std::to_string(spec.dimension) + "-dimensional vectors");
  double norm = 0;
  for (float x : v) {
    if (!std::isfinite(x)) return Status::InvalidArgument(what + " contains NaN or infinity");
    norm += static_cast<double>(x) * x;
  }
  if (spec.metric == Metric::kCosine && norm == 0)
    return Status::InvalidArgument(what + " is all zeros, which has no cosine similarity");
  return Status::Ok();
}

}  // namespace

Status PrepareBatch(const CollectionSpec& spec, std::vector<Document>* docs) {
  std::set<std::string> seen;
  for (size_t i = 0; i < docs->size(); ++i) {
    Document& doc = (*docs)[i];
    std::string where = "document " + std::to_string(i);
    if (doc.id.empty()) {
      doc.id = GenerateDocumentId();
    } else {
      IMI_RETURN_IF_ERROR(ValidateDocumentId(doc.id).WithContext(where));
    }
    where = "document \"" + doc.id + "\"";
    if (!seen.insert(doc.id).second) return Status::InvalidArgument(where + " appears twice in one batch");
    if (doc.metadata.is_null()) doc.metadata = nlohmann::json::object();
    IMI_RETURN_IF_ERROR(ValidateMetadata(doc.metadata).WithContext(where));
    if (doc.chunks.empty()) return Status::InvalidArgument(where + " has no vector");
    std::set<int> ordinals;
    for (const Chunk& chunk : doc.chunks) {
      if (!ordinals.insert(chunk.ordinal).second)
        return Status::InvalidArgument(where + ": chunk ordinal " + std::to_string(chunk.ordinal) + " repeats");
      IMI_RETURN_IF_ERROR(CheckVector(spec, chunk.vector, where + " chunk " + std::to_string(chunk.ordinal)));
    }
    for (Chunk& chunk : doc.chunks) {
      if (!chunk.colbert.empty()) {
        if (spec.colbert == MultiVectorEncoding::kNone) {
          return Status::FailedPrecondition("collection \"" + spec.name +
                                            "\" keeps no ColBERT vectors (it was created without \"colbert\")");
        }
        IMI_RETURN_IF_ERROR(
            ValidateMultiVector(chunk.colbert, "colbert").WithContext(where + " chunk " + std::to_string(chunk.ordinal)));
      }
      if (chunk.sparse.empty()) continue;
      IMI_RETURN_IF_ERROR(lexical::CanonicalizeSparse(&chunk.sparse, "sparse")
                              .WithContext(where + " chunk " + std::to_string(chunk.ordinal)));
    }
  }
  return Status::Ok();
}

Status ValidateSearch(const CollectionSpec& spec, const SearchRequest& request) {
  if (request.k < 1 || request.k > 10000) return Status::InvalidArgument("k must be between 1 and 10000");
  if (request.ef_search < 0 || request.ef_search > 100000)
    return Status::InvalidArgument("ef_search must be between 0 and 100000");
  CollectionSpec check = spec;
  check.metric = request.metric.value_or(spec.metric);
  return CheckVector(check, request.vector, "query vector");
}

Result<size_t> ValidateLexicalSearch(const CollectionSpec& spec, const LexicalSearchRequest& request) {
  constexpr size_t kMaxQueryBytes = 64 * 1024;
  if (request.k < 1 || request.k > 10000) return Status::InvalidArgument("k must be between 1 and 10000");
  if (request.query.empty()) return Status::InvalidArgument("the lexical query is empty");
  if (request.query.size() > kMaxQueryBytes) {
    return Status::TooLarge("the lexical query has " + std::to_string(request.query.size()) +
                            " bytes; at most 65536 are allowed");
  }
  const std::vector<std::string>& analyzers = spec.lexical.analyzers;
  if (analyzers.empty()) {
    return Status::FailedPrecondition("collection \"" + spec.name +
                                      "\" has no lexical index; add one with imi reindex --lexical or "
                                      "create the collection with analyzers");
  }
  if (request.analyzer.empty()) return size_t{0};
  IMI_ASSIGN_OR_RETURN(std::string canonical, analysis::CanonicalAnalyzerName(request.analyzer));
  for (size_t i = 0; i < analyzers.size(); ++i) {
    if (analyzers[i] == canonical) return i;
  }
  std::string have;
  for (const std::string& a : analyzers) have += (have.empty() ? "" : ", ") + a;
  return Status::FailedPrecondition("collection \"" + spec.name + "\" has no \"" + canonical +
                                    "\" lexical index; it has " + have);
}

Status ValidateSparseSearch(const SparseSearchRequest& request) {
  if (request.k < 1 || request.k > 10000) return Status::InvalidArgument("k must be between 1 and 10000");
  if (request.vector.empty()) return Status::InvalidArgument("the sparse query vector has no non-zero entry");
  lexical::SparseVector copy = request.vector;
  return lexical::CanonicalizeSparse(&copy, "sparse_vector");
}

}  // namespace imi::store
