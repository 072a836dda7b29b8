#include "server/search_request.h"

#include <cmath>

#include "server/json_io.h"
#include "server/routes.h"
#include "store/rescore.h"

namespace imi::server {

namespace {

using nlohmann::json;

constexpr int kDefaultK = 10;

// Floats printed in their shortest round-trip form.
json FloatsJson(const std::vector<float>& values) {
  std::string text;
  AppendFloatArray(&text, values);
  return json::parse(text, nullptr, false);
}

Status BadType(const std::string& field, const char* what) {
  return Status::InvalidArgument("'" + field + "' must be " + what);
}

bool Present(const json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && !it->is_null();
}

Result<std::vector<float>> ReadVector(const json& value, const std::string& field) {
  if (!value.is_array() || value.empty()) return BadType(field, "a non-empty array of numbers");
  std::vector<float> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_number()) return BadType(field + "[" + std::to_string(i) + "]", "a number");
    const double v = value[i].get<double>();
    if (!std::isfinite(static_cast<float>(v))) {
      return Status::InvalidArgument("'" + field + "[" + std::to_string(i) + "]' is outside the float32 range");
    }
    out.push_back(static_cast<float>(v));
  }
  return out;
}

Result<store::Include> ReadInclude(const json& body) {
  store::Include include;
  auto it = body.find("include");
  if (it == body.end() || it->is_null()) return include;
  if (!it->is_array()) {
    return Status::InvalidArgument("'include' must be an array of \"text\", \"metadata\", \"score\", \"vector\"");
  }
  include = store::Include{false, false, false, false};
  for (const json& item : *it) {
    const std::string name = item.is_string() ? item.get<std::string>() : "";
    if (name == "text") {
      include.text = true;
    } else if (name == "metadata") {
      include.metadata = true;
    } else if (name == "score") {
      include.score = true;
    } else if (name == "vector") {
      include.vector = true;
    } else {
      return Status::InvalidArgument("'include' items must be \"text\", \"metadata\", \"score\" or \"vector\", got " +
                                     DumpJson(item));
    }
  }
  return include;
}

Result<size_t> ReadSize(const json& value, const std::string& field, size_t lo, size_t hi) {
  if (!value.is_number_integer()) return BadType(field, "an integer");
  if (value.get<int64_t>() < static_cast<int64_t>(lo) || value.get<int64_t>() > static_cast<int64_t>(hi)) {
    return Status::Unprocessable("'" + field + "' must be from " + std::to_string(lo) + " to " + std::to_string(hi) +
                                 ", got " + value.dump());
  }
  return static_cast<size_t>(value.get<int64_t>());
}

Status ReadFusion(const json& value, lexical::FusionSpec* fusion, int* depth) {
  if (!value.is_object()) return BadType("fusion", "an object {\"method\", \"k\", \"weights\", \"depth\"}");
  for (const auto& [key, item] : value.items()) {
    if (key == "method") {
      if (!item.is_string()) return BadType("fusion.method", "\"rrf\" or \"weighted\"");
      IMI_ASSIGN_OR_RETURN(fusion->method, lexical::ParseFusionMethod(item.get<std::string>()));
    } else if (key == "k") {
      if (!item.is_number()) return BadType("fusion.k", "a positive number (RRF's rank constant)");
      if (!(item.get<double>() > 0) || !(item.get<double>() < 1e9)) {
        return Status::Unprocessable("'fusion.k' must be a positive number below 1e9, got " + item.dump());
      }
      fusion->rrf_k = item.get<double>();
    } else if (key == "weights") {
      if (!item.is_object()) return BadType("fusion.weights", "an object of component names to numbers");
      for (const auto& [name, weight] : item.items()) {
        if (!weight.is_number()) return BadType("fusion.weights." + name, "a number from 0 to 1000000");
        if (!(weight.get<double>() >= 0) || !(weight.get<double>() <= 1e6)) {
          return Status::Unprocessable("'fusion.weights." + name + "' must be from 0 to 1000000, got " + weight.dump());
        }
        fusion->weights[name] = weight.get<double>();
      }
    } else if (key == "depth") {
      IMI_ASSIGN_OR_RETURN(size_t d, ReadSize(item, "fusion.depth", 1, 1000));
      *depth = static_cast<int>(d);
    } else {
      return Status::Unprocessable("unknown field 'fusion." + key + "'; use method, k, weights and depth");
    }
  }
  return Status::Ok();
}

// "m3": {"weights": {"dense","sparse","colbert"} or [d, s, c], "candidates": N}
// and "rerank": {"top": N}.
Status ReadRescoring(const json& body, SearchBody* out) {
  store::ModeSearchRequest& r = out->request;
  if (Present(body, "m3")) {
    if (r.mode != store::SearchMode::kM3) return Status::InvalidArgument("'m3' applies to \"mode\": \"m3\" only");
    const json& m3 = body["m3"];
    if (!m3.is_object()) return BadType("m3", "an object {\"weights\", \"candidates\"}");
    for (const auto& [key, item] : m3.items()) {
      if (key == "candidates") {
        IMI_ASSIGN_OR_RETURN(size_t n, ReadSize(item, "m3.candidates", 1, 1000));
        r.depth = static_cast<int>(n);
      } else if (key == "weights") {
        double* slots[3] = {&r.m3_weights.dense, &r.m3_weights.sparse, &r.m3_weights.colbert};
        const char* names[3] = {"dense", "sparse", "colbert"};
        if (item.is_array() && item.size() == 3) {
          for (size_t i = 0; i < 3; ++i) {
            if (!item[i].is_number()) return BadType("m3.weights", "[dense, sparse, colbert] numbers");
            *slots[i] = item[i].get<double>();
          }
        } else if (item.is_object()) {
          for (const auto& [name, w] : item.items()) {
            size_t i = 0;
            while (i < 3 && name != names[i]) ++i;
            if (i == 3 || !w.is_number()) {
              return Status::Unprocessable("'m3.weights' takes the numbers \"dense\", \"sparse\" and \"colbert\"");
            }
            *slots[i] = w.get<double>();
          }
        } else {
          return BadType("m3.weights", "{\"dense\", \"sparse\", \"colbert\"} or [dense, sparse, colbert]");
        }
        Status valid = store::ValidateM3Weights(r.m3_weights);
        if (!valid.ok()) return Status::Unprocessable("'m3.weights': " + valid.message());
      } else {
        return Status::Unprocessable("unknown field 'm3." + key + "'; use weights and candidates");
      }
    }
  }
  if (Present(body, "rerank")) {
    const json& rerank = body["rerank"];
    if (!rerank.is_object() || !rerank.contains("top")) return BadType("rerank", "an object {\"top\": N}");
    for (const auto& [key, item] : rerank.items()) {
      if (key != "top") return Status::Unprocessable("unknown field 'rerank." + key + "'; use top");
    }
    IMI_ASSIGN_OR_RETURN(size_t top, ReadSize(rerank["top"], "rerank.top", 1, store::kMaxRerankTop));
    out->rerank_top = static_cast<int>(top);
  }
  return Status::Ok();
}

}  // namespace

Result<SearchBody> ParseSearchBody(const json& body) {
  SearchBody out;
  store::ModeSearchRequest& r = out.request;
  IMI_RETURN_IF_ERROR(RejectUnknownFields(body, {"mode", "query", "vector", "sparse_vector", "analyzer", "analyzers",
                                                 "k", "metric", "filter", "include", "exact", "ef_search",
                                                 "highlights", "fusion", "m3", "rerank"}));
  if (Present(body, "mode")) {
    if (!body["mode"].is_string()) return BadType("mode", "\"dense\", \"lexical\", \"sparse\", \"hybrid\" or \"m3\"");
    IMI_ASSIGN_OR_RETURN(r.mode, store::ParseSearchMode(body["mode"].get<std::string>()));
  }
  IMI_ASSIGN_OR_RETURN(out.query, ReadString(body, "query"));
  if (out.query.has_value()) {
    if (out.query->empty()) return Status::InvalidArgument("'query' must not be empty");
    r.query = *out.query;
  }
  if (Present(body, "vector")) {
    IMI_ASSIGN_OR_RETURN(r.vector, ReadVector(body["vector"], "vector"));
    out.has_vector = true;
  }
  if (Present(body, "sparse_vector")) {
    IMI_ASSIGN_OR_RETURN(r.sparse, lexical::SparseFromJson(body["sparse_vector"], "sparse_vector"));
    if (r.sparse.empty()) return Status::InvalidArgument("'sparse_vector' has no non-zero value");
  }
  const bool has_sparse = Present(body, "sparse_vector");
  if (Present(body, "analyzer") && Present(body, "analyzers")) {
    return Status::InvalidArgument("send 'analyzer' (one) or 'analyzers' (several), not both");
  }
  if (Present(body, "analyzer")) {
    if (!body["analyzer"].is_string()) return BadType("analyzer", "a string such as \"ja-mecab\"");
    r.analyzers.push_back(body["analyzer"].get<std::string>());
  }
  if (Present(body, "analyzers")) {
    const json& list = body["analyzers"];
    if (!list.is_array() || list.empty() || list.size() > 8) {
      return BadType("analyzers", "a non-empty array of at most 8 analyzer names");
    }
    for (const json& a : list) {
      if (!a.is_string()) return BadType("analyzers", "an array of strings");
      r.analyzers.push_back(a.get<std::string>());
    }
  }
  IMI_ASSIGN_OR_RETURN(std::optional<size_t> k, ReadPositiveInt(body, "k"));
  if (k.has_value() && *k > 10000) {
    return Status::Unprocessable("'k' must be between 1 and 10000, got " + std::to_string(*k));
  }
  r.k = k.has_value() ? static_cast<int>(*k) : kDefaultK;
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> metric, ReadString(body, "metric"));
  if (metric.has_value()) {
    IMI_ASSIGN_OR_RETURN(r.metric, store::ParseMetric(*metric));
  }
  if (Present(body, "filter")) {
    auto parsed = store::Filter::Parse(body["filter"]);
    if (!parsed.ok()) return parsed.status().WithContext("filter");
    r.filter = std::move(parsed).value();
  }
  IMI_ASSIGN_OR_RETURN(r.include, ReadInclude(body));
  IMI_ASSIGN_OR_RETURN(std::optional<bool> exact, ReadBool(body, "exact"));
  r.exact = exact.value_or(false);
  IMI_ASSIGN_OR_RETURN(std::optional<size_t> ef_search, ReadPositiveInt(body, "ef_search"));
  if (ef_search.has_value()) {
    if (*ef_search > 100000) {
      return Status::Unprocessable("'ef_search' must be between 1 and 100000, got " + std::to_string(*ef_search));
    }
    r.ef_search = static_cast<int>(*ef_search);
  }
  if (Present(body, "highlights")) {
    if (!body["highlights"].is_boolean()) return BadType("highlights", "a boolean");
    r.highlights = body["highlights"].get<bool>();
  }
  if (Present(body, "fusion")) {
    if (r.mode != store::SearchMode::kHybrid && r.mode != store::SearchMode::kM3) {
      return Status::InvalidArgument("'fusion' applies to \"mode\": \"hybrid\" and \"m3\" only");
    }
    IMI_RETURN_IF_ERROR(ReadFusion(body["fusion"], &r.fusion, &r.depth));
  }
  IMI_RETURN_IF_ERROR(ReadRescoring(body, &out));
  // Which inputs each mode takes.
  const bool has_query = out.query.has_value();
  switch (r.mode) {
    case store::SearchMode::kDense:
      if (has_query == out.has_vector) {
        return Status::InvalidArgument("send exactly one of 'query' (a text) or 'vector' (an array of numbers)");
      }
      if (has_sparse || !r.analyzers.empty()) {
        return Status::InvalidArgument("'sparse_vector' and 'analyzers' belong to the lexical, sparse and hybrid modes; "
                                       "add \"mode\"");
      }
      break;
    case store::SearchMode::kLexical:
      if (!has_query) return Status::InvalidArgument("lexical search needs 'query' (the words to look for)");
      if (out.has_vector || has_sparse) {
        return Status::InvalidArgument("lexical search takes 'query' only; use \"mode\": \"hybrid\" to add vectors");
      }
      if (r.analyzers.size() > 1) return Status::InvalidArgument("lexical search uses one 'analyzer'");
      break;
    case store::SearchMode::kSparse:
      if (!has_sparse) return Status::InvalidArgument("sparse search needs 'sparse_vector' {\"indices\", \"values\"}");
      // A query text may come along for the reranker.
      if ((has_query && out.rerank_top == 0) || out.has_vector || !r.analyzers.empty()) {
        return Status::InvalidArgument("sparse search takes 'sparse_vector' only; use \"mode\": \"hybrid\" to add "
                                       "'query' or 'vector'");
      }
      break;
    case store::SearchMode::kHybrid:
      if (!has_query && !out.has_vector && !has_sparse) {
        return Status::InvalidArgument("hybrid search needs 'query', 'vector' or 'sparse_vector'");
      }
      break;
    case store::SearchMode::kM3:
      if (has_query == out.has_vector) {
        return Status::InvalidArgument("m3 search needs exactly one of 'query' (embedded by the served bge-m3 model "
                                       "into all three outputs) or 'vector' (with an optional 'sparse_vector')");
      }
      if (has_query && has_sparse) {
        return Status::InvalidArgument("m3 search computes the sparse weights of 'query'; send 'sparse_vector' with "
                                       "'vector' instead");
      }
      if (!r.analyzers.empty()) return Status::InvalidArgument("m3 search has no lexical component: drop 'analyzers'");
      break;
  }
  return out;
}

json ChunkJson(const store::Chunk& chunk, bool with_text, bool with_vector) {
  json out = {{"ordinal", chunk.ordinal}, {"start", chunk.start_offset}, {"end", chunk.end_offset}};
  if (with_text && !chunk.text.empty()) out["text"] = chunk.text;  // vectors-only chunks have none
  if (with_vector) {
    out["vector"] = FloatsJson(chunk.vector);
    if (!chunk.sparse.empty()) {
      out["sparse"] = json{{"indices", chunk.sparse.indices}, {"values", FloatsJson(chunk.sparse.values)}};
    }
  }
  return out;
}

json SearchResultsJson(const std::string& collection, const store::ModeSearchRequest& request,
                       const store::ModeSearchResponse& response) {
  const store::Include& include = request.include;
  json results = json::array();
  int rank = 0;
  for (const store::ModeSearchHit& found : response.hits) {
    const store::SearchHit& hit = found.hit;
    json row = {{"rank", ++rank}, {"id", hit.document_id}};
    if (include.score) {
      row["score"] = hit.score;
      // Dense scores also as pgvector's operator gives them (lower is better).
      if (response.mode == store::SearchMode::kDense) row["distance"] = store::PgvectorDistance(response.metric, hit.score);
    }
    if (include.text && !hit.text.empty()) row["text"] = hit.text;
    if (include.metadata) row["metadata"] = hit.metadata;
    row["chunk"] = ChunkJson(hit.chunk, include.text, include.vector);
    json components = json::object();
    for (const auto& [name, place] : found.components) {
      components[name] = {{"score", place.score}, {"rank", place.rank}};
    }
    row["components"] = std::move(components);
    bool lexical = false;
    for (const std::string& c : response.components) lexical = lexical || c.rfind("lexical:", 0) == 0;
    if (lexical && include.text && request.highlights) {
      json highlights = json::array();
      for (const lexical::Highlight& h : found.highlights) highlights.push_back({{"start", h.start}, {"end", h.end}});
      row["highlights"] = std::move(highlights);
    }
    results.push_back(std::move(row));
  }
  json out = {{"collection", collection},
              {"mode", std::string(store::SearchModeName(response.mode))},
              {"metric", std::string(store::MetricName(response.metric))},
              {"exact", response.exact},
              {"components", response.components}};
  if (response.mode == store::SearchMode::kHybrid) {
    json weights = json::object();
    for (const std::string& c : response.components) weights[c] = lexical::ComponentWeight(request.fusion, c);
    out["fusion"] = {{"method", std::string(lexical::FusionMethodName(request.fusion.method))},
                     {"k", request.fusion.rrf_k},
                     {"weights", std::move(weights)}};
  }
  if (response.mode == store::SearchMode::kM3) {
    const store::M3Weights& w = request.m3_weights;
    out["m3"] = {{"weights", {{"dense", w.dense}, {"sparse", w.sparse}, {"colbert", w.colbert}}},
                 {"candidates", std::max(request.k, request.depth > 0 ? request.depth : 100)}};
  }
  if (response.reranked > 0) out["rerank"] = {{"top", response.reranked}};
  out["count"] = results.size();
  out["results"] = std::move(results);
  return out;
}

}  // namespace imi::server
