// bge-m3's sparse and multi-vector outputs over HTTP: TEI's POST /embed_sparse
// and POST /embed_all, and "output" on the original API's POST /embed.
#include <algorithm>
#include <cctype>

#include "server/json_io.h"
#include "server/routes.h"

namespace imi::server {

namespace {

void AppendSparse(std::string* out, const batch::SparseVector& v) {
  *out += "{\"indices\":[";
  for (size_t k = 0; k < v.indices.size(); ++k) {
    if (k > 0) *out += ',';
    *out += std::to_string(v.indices[k]);
  }
  *out += "],\"values\":";
  AppendFloatArray(out, v.values);
  *out += '}';
}

void AppendTokenVectors(std::string* out, const batch::TokenVectors& v) {
  *out += '[';
  for (size_t r = 0; r < v.rows(); ++r) {
    if (r > 0) *out += ',';
    AppendFloatArray(out, std::vector<float>(v.values.begin() + r * v.dim, v.values.begin() + (r + 1) * v.dim));
  }
  *out += ']';
}

}  // namespace

Result<unsigned> ReadOutputs(const nlohmann::json& body) {
  auto it = body.find("output");
  if (it == body.end() || it->is_null()) return unsigned{batch::kDenseOutput};
  std::vector<std::string> words;
  if (it->is_string()) {
    words.push_back(it->get<std::string>());
  } else if (it->is_array() && !it->empty()) {
    for (const auto& w : *it) {
      if (!w.is_string()) return Status::InvalidArgument("'output' must be a string or an array of strings");
      words.push_back(w.get<std::string>());
    }
  } else {
    return Status::InvalidArgument("'output' must be \"dense\", \"sparse\", \"colbert\", \"all\" or an array of them");
  }
  unsigned outputs = 0;
  for (const std::string& w : words) {
    if (w == "dense") {
      outputs |= batch::kDenseOutput;
    } else if (w == "sparse") {
      outputs |= batch::kSparseOutput;
    } else if (w == "colbert") {
      outputs |= batch::kColbertOutput;
    } else if (w == "all") {
      outputs |= batch::kDenseOutput | batch::kSparseOutput | batch::kColbertOutput;
    } else {
      return Status::InvalidArgument("'output' has " + JsonString(w) +
                                     "; use \"dense\", \"sparse\", \"colbert\" or \"all\"");
    }
  }
  return outputs;
}

Result<HttpResponse> EmbedOriginalWithOutputs(RouteContext& ctx, const std::vector<std::string>& texts,
                                              unsigned outputs) {
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  batch::EmbedOptions options;
  options.outputs = outputs;
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, options, "texts"));
  std::string out = "{";
  if (outputs & batch::kDenseOutput) {
    out += "\"vectors\":[";
    for (size_t i = 0; i < outcome.vectors.size(); ++i) {
      if (i > 0) out += ',';
      AppendFloatArray(&out, outcome.vectors[i]);
    }
    out += "],\"dimension\":" + std::to_string(outcome.vectors.empty() ? 0 : outcome.vectors[0].size()) + ",";
  }
  if (outputs & batch::kSparseOutput) {
    out += "\"sparse\":[";
    for (size_t i = 0; i < outcome.sparse.size(); ++i) {
      if (i > 0) out += ',';
      AppendSparse(&out, outcome.sparse[i]);
    }
    out += "],";
  }
  if (outputs & batch::kColbertOutput) {
    out += "\"colbert\":[";
    for (size_t i = 0; i < outcome.colbert.size(); ++i) {
      if (i > 0) out += ',';
      AppendTokenVectors(&out, outcome.colbert[i]);
    }
    out += "],\"colbert_dimension\":" + std::to_string(service->backend().info().colbert_dimension) + ",";
  }
  out += "\"count\":" + std::to_string(texts.size()) + "}";
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleEmbedSparse(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "inputs", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(batch::EmbedOptions options, ReadTeiTruncationOptions(body));
  options.outputs = batch::kSparseOutput;
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, options, "inputs"));
  // TEI's shape: [[{"index": token id, "value": weight}, ...], ...], ids ascending.
  std::string out = "[";
  for (size_t i = 0; i < outcome.sparse.size(); ++i) {
    if (i > 0) out += ',';
    out += '[';
    const batch::SparseVector& v = outcome.sparse[i];
    for (size_t k = 0; k < v.indices.size(); ++k) {
      if (k > 0) out += ',';
      out += "{\"index\":" + std::to_string(v.indices[k]) + ",\"value\":";
      AppendFloat(&out, v.values[k]);
      out += '}';
    }
    out += ']';
  }
  out += ']';
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

Result<HttpResponse> HandleEmbedAll(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(nlohmann::json body, ParseObjectBody(request));
  IMI_ASSIGN_OR_RETURN(std::vector<std::string> texts, ReadTexts(body, "inputs", ctx.config.max_client_batch));
  IMI_ASSIGN_OR_RETURN(batch::EmbedOptions options, ReadTeiTruncationOptions(body));
  options.outputs = batch::kColbertOutput;
  IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
  IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(texts, options, "inputs"));
  // TEI's shape: one array of token vectors per input.
  std::string out = "[";
  for (size_t i = 0; i < outcome.colbert.size(); ++i) {
    if (i > 0) out += ',';
    AppendTokenVectors(&out, outcome.colbert[i]);
  }
  out += ']';
  HttpResponse res = JsonResponse(std::move(out));
  AddEmbeddingHeaders(outcome, &res);
  return res;
}

}  // namespace imi::server
