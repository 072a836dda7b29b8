// The vector store over HTTP: /collections, their documents and semantic
// search. Texts are chunked with the served model's tokenizer (the windows
// imi index uses) and embedded through the shared batcher, so the store holds
// the same vectors whichever way documents arrive.
#include <algorithm>
#include <cmath>

#include "server/json_io.h"
#include "server/memory_budget.h"
#include "server/routes.h"
#include "server/search_request.h"
#include "store/filter.h"
#include "analysis/analyzer.h"
#include "store/metric.h"
#include "store/rescore.h"
#include "store/search_modes.h"
#include "store/vector_store.h"
#include "text/segment.h"

namespace imi::server {

namespace {

using nlohmann::json;

constexpr size_t kOverlapTokens = 32;  // imi index's default overlap
constexpr size_t kEmbedSlice = 256;    // chunks per batcher request, under its queue bound

json CollectionJson(const store::CollectionInfo& info) {
  return {{"name", info.spec.name},
          {"model", info.spec.model_id},
          {"revision", RevisionJson(info.spec.model_revision)},
          {"dimension", info.spec.dimension},
          {"metric", std::string(store::MetricName(info.spec.metric))},
          {"analyzers", info.spec.lexical.analyzers},
          {"bm25", {{"k1", info.spec.lexical.bm25.k1}, {"b", info.spec.lexical.bm25.b}}},
          {"colbert", std::string(store::MultiVectorEncodingName(info.spec.colbert))},
          {"documents", info.document_count},
          {"chunks", info.chunk_count}};
}

// "analyzers" and "bm25" of a create request; nullopt when neither is given.
Result<std::optional<store::LexicalSpec>> ReadLexical(const json& body) {
  auto analyzers = body.find("analyzers");
  auto bm25 = body.find("bm25");
  const bool has_analyzers = analyzers != body.end() && !analyzers->is_null();
  const bool has_bm25 = bm25 != body.end() && !bm25->is_null();
  if (!has_analyzers && !has_bm25) return std::optional<store::LexicalSpec>();
  store::LexicalSpec lexical;
  lexical.analyzers = {std::string(analysis::kDefaultAnalyzer)};
  if (has_analyzers) {
    if (!analyzers->is_array()) {
      return Status::InvalidArgument("'analyzers' must be an array of analyzer names, e.g. [\"ja-mecab\", \"ja-bigram\"]"
                                     " ([] for no lexical index)");
    }
    lexical.analyzers.clear();
    for (const json& a : *analyzers) {
      if (!a.is_string()) return Status::InvalidArgument("'analyzers' items must be strings");
      lexical.analyzers.push_back(a.get<std::string>());
    }
  }
  if (has_bm25) {
    if (!bm25->is_object()) return Status::InvalidArgument("'bm25' must be an object {\"k1\", \"b\"}");
    for (const auto& [key, value] : bm25->items()) {
      if ((key != "k1" && key != "b") || !value.is_number()) {
        return Status::InvalidArgument("'bm25' takes the numbers \"k1\" and \"b\"");
      }
      (key == "k1" ? lexical.bm25.k1 : lexical.bm25.b) = value.get<double>();
    }
  }
  IMI_RETURN_IF_ERROR(store::ValidateLexicalSpec(&lexical));
  return std::optional<store::LexicalSpec>(std::move(lexical));
}

// "colbert" of a create request: an encoding name, true (the default
// encoding) or false ("none").
Result<store::MultiVectorEncoding> ReadColbert(const json& body) {
  auto it = body.find("colbert");
  if (it == body.end() || it->is_null()) return store::MultiVectorEncoding::kNone;
  if (it->is_boolean()) return it->get<bool>() ? store::kDefaultMultiVectorEncoding : store::MultiVectorEncoding::kNone;
  if (!it->is_string()) {
    return Status::InvalidArgument("'colbert' must be true, false or \"float16\", \"int8\", \"float32\", \"none\"");
  }
  return store::ParseMultiVectorEncoding(it->get<std::string>());
}

// bge-m3 outputs of the batcher in the store's types.
lexical::SparseVector ToSparse(const batch::SparseVector& v) {
  lexical::SparseVector out;
  for (size_t i = 0; i < v.indices.size(); ++i) {
    if (v.indices[i] < 0 || !(v.values[i] > 0)) continue;
    out.indices.push_back(static_cast<uint32_t>(v.indices[i]));
    out.values.push_back(v.values[i]);
  }
  return out;
}

store::MultiVector ToMultiVector(batch::TokenVectors v) {
  store::MultiVector out;
  out.dim = v.dim;
  out.values = std::move(v.values);
  return out;
}

HttpResponse JsonWithStatus(const json& body, int status) {
  HttpResponse res = JsonResponse(DumpJson(body));
  res.status = status;
  return res;
}

// The served model may embed texts for `info` only if it made its vectors.
Status CheckModel(const batch::BackendInfo& model, const store::CollectionInfo& info) {
  if (info.spec.model_id == model.model_id && static_cast<size_t>(info.spec.dimension) == model.dimension) {
    return Status::Ok();
  }
  return Status::FailedPrecondition("collection \"" + info.spec.name + "\" holds " +
                                    std::to_string(info.spec.dimension) + "-dimensional vectors of model " +
                                    info.spec.model_id + "; the served model is " + model.model_id + " (" +
                                    std::to_string(model.dimension) +
                                    " dimensions): send vectors instead of texts, or serve that model");
}

std::optional<std::string> PromptFor(const batch::BackendInfo& model, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (std::find(model.prompt_names.begin(), model.prompt_names.end(), name) != model.prompt_names.end()) {
      return std::string(name);
    }
  }
  return std::nullopt;
}

// Windows of at most max_seq_length tokens (special tokens included)
// overlapping by kOverlapTokens (less for short windows), in byte offsets.
// Long texts are tokenised piece by piece (text::SegmentForTokenizing, as
// imi index does), so the tokenizer's working memory stays that of one piece.
Result<std::vector<store::Chunk>> SplitText(const batch::EmbeddingBackend& backend, const std::string& text) {
  IMI_ASSIGN_OR_RETURN(std::vector<batch::TokenInfo> specials, backend.Tokenize("", true));
  const size_t max_tokens = backend.info().max_seq_length > 0 ? backend.info().max_seq_length : 512;
  if (max_tokens <= specials.size() + 1) {
    return Status::Unprocessable("the served model's maximum length leaves no room for text");
  }
  const size_t window = max_tokens - specials.size();
  const size_t overlap = std::min(kOverlapTokens, window / 4);
  // Byte ranges of the tokens, [start, end).
  std::vector<std::pair<size_t, size_t>> tokens;
  const std::vector<std::string_view> pieces = text::SegmentForTokenizing(text);
  IMI_ASSIGN_OR_RETURN(MemoryCharge charge,
                       MemoryCharge::Take(CurrentRequestMemory(), pieces[0].size() * kTokenizerBytesPerInputByte,
                                          "tokenizing this document"));
  for (std::string_view piece : pieces) {
    const size_t base = static_cast<size_t>(piece.data() - text.data());
    IMI_ASSIGN_OR_RETURN(std::vector<batch::TokenInfo> piece_tokens, backend.Tokenize(std::string(piece), false));
    for (const batch::TokenInfo& token : piece_tokens) {
      tokens.emplace_back(base + std::min(token.start, piece.size()), base + std::min(token.end, piece.size()));
    }
  }
  std::vector<store::Chunk> chunks;
  for (size_t start = 0; start < tokens.size(); start += window - overlap) {
    const size_t end = std::min(tokens.size(), start + window);
    const size_t b0 = std::min(tokens[start].first, text.size());
    const size_t b1 = std::clamp(tokens[end - 1].second, b0, text.size());
    if (b1 > b0) {
      store::Chunk chunk;
      chunk.ordinal = static_cast<int>(chunks.size());
      chunk.text = text.substr(b0, b1 - b0);
      chunk.start_offset = static_cast<int64_t>(b0);
      chunk.end_offset = static_cast<int64_t>(b1);
      chunks.push_back(std::move(chunk));
    }
    if (end == tokens.size()) break;
  }
  if (chunks.empty()) {
    store::Chunk whole;
    whole.text = text;
    whole.end_offset = static_cast<int64_t>(text.size());
    chunks.push_back(std::move(whole));
  }
  return chunks;
}

Result<std::vector<float>> ReadVector(const json& value, const std::string& field) {
  if (!value.is_array() || value.empty()) {
    return Status::InvalidArgument("'" + field + "' must be a non-empty array of numbers");
  }
  std::vector<float> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_number()) {
      return Status::InvalidArgument("'" + field + "[" + std::to_string(i) + "]' must be a number");
    }
    const double v = value[i].get<double>();
    if (!std::isfinite(static_cast<float>(v))) {
      return Status::InvalidArgument("'" + field + "[" + std::to_string(i) + "]' is outside the float32 range");
    }
    out.push_back(static_cast<float>(v));
  }
  return out;
}

// One item of "documents": a document ready for the store, or one whose
// chunks still need the model (needs_embedding).
struct IncomingDocument {
  store::Document doc;
  bool needs_embedding = false;
  lexical::SparseVector sparse;  // for the one chunk of a text document
};

Result<IncomingDocument> ReadDocument(const json& item, const std::string& where) {
  if (!item.is_object()) return Status::InvalidArgument("'" + where + "' must be an object");
  IMI_RETURN_IF_ERROR(RejectUnknownFields(item, {"id", "text", "metadata", "vector", "sparse"}, where + "."));
  IncomingDocument in;
  auto with_context = [&where](const Status& s) { return s.WithContext(where); };
  auto id = ReadString(item, "id");
  if (!id.ok()) return with_context(id.status());
  if (id->has_value()) {
    in.doc.id = **id;
    IMI_RETURN_IF_ERROR(with_context(store::ValidateDocumentId(in.doc.id)));
  }
  auto text = ReadString(item, "text");
  if (!text.ok()) return with_context(text.status());
  if (auto it = item.find("metadata"); it != item.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("'" + where + ".metadata' must be a JSON object");
    in.doc.metadata = *it;
  }
  auto vector = item.find("vector");
  const bool has_vector = vector != item.end() && !vector->is_null();
  if (!has_vector && (!text->has_value() || (*text)->empty())) {
    return Status::InvalidArgument("'" + where + "' needs a non-empty 'text' (embedded by the served model) or a "
                                   "'vector'");
  }
  in.doc.text = text->value_or("");
  if (auto sparse = item.find("sparse"); sparse != item.end() && !sparse->is_null()) {
    IMI_ASSIGN_OR_RETURN(in.sparse, lexical::SparseFromJson(*sparse, where + ".sparse"));
  }
  if (has_vector) {
    IMI_ASSIGN_OR_RETURN(std::vector<float> values, ReadVector(*vector, where + ".vector"));
    store::Chunk chunk;
    chunk.text = in.doc.text;
    chunk.end_offset = static_cast<int64_t>(in.doc.text.size());
    chunk.vector = std::move(values);
    chunk.sparse = std::move(in.sparse);
    in.doc.chunks.push_back(std::move(chunk));
  } else {
    in.needs_embedding = true;
  }
  return in;
}

}  // namespace

Result<store::VectorStore*> RequireStore(const RouteContext& ctx) {
  if (ctx.store == nullptr) {
    return Status::Unavailable("this server has no vector store; start imi serve with --store DIR or --pg DSN");
  }
  return ctx.store->Get();
}

Result<std::string> CollectionName(const RouteContext& ctx) {
  const std::string name = ctx.params.empty() ? "" : ctx.params[0];
  IMI_RETURN_IF_ERROR(store::ValidateCollectionName(name));
  return name;
}

Result<HttpResponse> HandleListCollections(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(std::vector<store::CollectionInfo> infos, vs->ListCollections());
  json list = json::array();
  for (const store::CollectionInfo& info : infos) list.push_back(CollectionJson(info));
  return JsonResponse(DumpJson(json{{"collections", std::move(list)}}));
}

Result<HttpResponse> HandleCreateCollection(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
  IMI_RETURN_IF_ERROR(
      RejectUnknownFields(body, {"name", "metric", "dimension", "model", "analyzers", "bm25", "colbert"}));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> name, ReadString(body, "name"));
  if (!name.has_value()) return Status::InvalidArgument("'name' is required: POST /collections {\"name\": \"docs\"}");
  IMI_RETURN_IF_ERROR(store::ValidateCollectionName(*name));
  store::CollectionSpec spec;
  spec.name = *name;
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> metric, ReadString(body, "metric"));
  if (metric.has_value()) {
    IMI_ASSIGN_OR_RETURN(spec.metric, store::ParseMetric(*metric));
  }
  IMI_ASSIGN_OR_RETURN(std::optional<size_t> dimension, ReadPositiveInt(body, "dimension"));
  IMI_ASSIGN_OR_RETURN(std::optional<std::string> model, ReadString(body, "model"));
  IMI_ASSIGN_OR_RETURN(std::optional<store::LexicalSpec> lexical, ReadLexical(body));
  IMI_ASSIGN_OR_RETURN(spec.colbert, ReadColbert(body));
  const batch::BackendInfo* served =
      ctx.service != nullptr && ctx.state == ServeState::kReady ? &ctx.service->backend().info() : nullptr;
  if (model.has_value()) {
    // Vectors made elsewhere: the caller names their model and dimension.
    if (!dimension.has_value()) return Status::InvalidArgument("'dimension' is required together with 'model'");
    spec.model_id = *model;
    spec.model_revision = "unknown";
    spec.dimension = static_cast<int>(std::min<size_t>(*dimension, 1 << 30));
  } else {
    if (served == nullptr) {
      IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
      served = &service->backend().info();
    }
    if (dimension.has_value() && *dimension != served->dimension) {
      return Status::FailedPrecondition("'dimension' " + std::to_string(*dimension) + " differs from the served model's " +
                                        std::to_string(served->dimension) +
                                        "; name the model of your vectors in 'model'");
    }
    spec.model_id = served->model_id;
    spec.model_revision = served->revision.empty() ? "unknown" : served->revision;
    spec.dimension = static_cast<int>(served->dimension);
    if (spec.colbert != store::MultiVectorEncoding::kNone && !(served->outputs & batch::kColbertOutput)) {
      return Status::FailedPrecondition("'colbert' needs a model with ColBERT vectors (bge-m3 with its heads); the "
                                        "served model " + served->model_id + " has none");
    }
  }
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  Result<store::CollectionInfo> existing = vs->GetCollection(spec.name);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) return existing.status();
  // Without "analyzers"/"bm25" a new collection gets ja-mecab and an existing
  // one keeps what it has (changing it is imi reindex --lexical).
  if (lexical.has_value()) {
    spec.lexical = std::move(*lexical);
  } else if (existing.ok()) {
    spec.lexical = existing->spec.lexical;
  } else {
    spec.lexical.analyzers = {std::string(analysis::kDefaultAnalyzer)};
  }
  IMI_RETURN_IF_ERROR(vs->CreateCollection(spec));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, vs->GetCollection(spec.name));
  return JsonWithStatus(CollectionJson(info), existing.ok() ? 200 : 201);
}

Result<HttpResponse> HandleGetCollection(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, vs->GetCollection(name));
  return JsonResponse(DumpJson(CollectionJson(info)));
}

Result<HttpResponse> HandleDeleteCollection(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_RETURN_IF_ERROR(vs->DeleteCollection(name));
  return JsonResponse(DumpJson(json{{"deleted", true}, {"name", name}}));
}

Result<HttpResponse> HandleUpsertDocuments(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
  IMI_RETURN_IF_ERROR(RejectUnknownFields(body, {"documents"}));
  auto items = body.find("documents");
  if (items == body.end() || !items->is_array() || items->empty()) {
    return Status::InvalidArgument("'documents' must be a non-empty array of {id?, text, metadata?} or "
                                   "{id?, vector, metadata?}");
  }
  if (items->size() > ctx.config.max_client_batch) {
    return Status::TooLarge("'documents' has " + std::to_string(items->size()) + " items, more than the limit of " +
                            std::to_string(ctx.config.max_client_batch) + " per request (--max-client-batch)");
  }
  std::vector<IncomingDocument> incoming;
  bool any_text = false;
  for (size_t i = 0; i < items->size(); ++i) {
    IMI_ASSIGN_OR_RETURN(IncomingDocument doc, ReadDocument((*items)[i], "documents[" + std::to_string(i) + "]"));
    any_text = any_text || doc.needs_embedding;
    incoming.push_back(std::move(doc));
  }
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, vs->GetCollection(name));
  size_t chunk_count = 0;
  if (any_text) {
    IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
    const batch::BackendInfo& model = service->backend().info();
    IMI_RETURN_IF_ERROR(CheckModel(model, info));
    std::vector<std::string> texts;
    std::vector<store::Chunk*> targets;
    for (size_t i = 0; i < incoming.size(); ++i) {
      if (!incoming[i].needs_embedding) continue;
      auto chunks = SplitText(service->backend(), incoming[i].doc.text);
      if (!chunks.ok()) return chunks.status().WithContext("documents[" + std::to_string(i) + "]");
      incoming[i].doc.chunks = std::move(chunks).value();
      if (!incoming[i].sparse.empty()) {
        // A sparse vector describes one chunk; a longer text has several.
        if (incoming[i].doc.chunks.size() != 1) {
          return Status::Unprocessable("'documents[" + std::to_string(i) + "].sparse' belongs to one chunk, but the text "
                                       "is split into " + std::to_string(incoming[i].doc.chunks.size()) +
                                       " chunks; send shorter texts, or 'vector' with 'sparse'");
        }
        incoming[i].doc.chunks[0].sparse = std::move(incoming[i].sparse);
      }
    }
    for (IncomingDocument& in : incoming) {
      if (!in.needs_embedding) continue;
      for (store::Chunk& chunk : in.doc.chunks) {
        texts.push_back(chunk.text);
        targets.push_back(&chunk);
      }
    }
    batch::EmbedOptions options;
    options.prompt_name = PromptFor(model, {"passage", "document"});
    // bge-m3: sparse weights whenever the model has them, token vectors when
    // the collection keeps them.
    options.outputs = batch::kDenseOutput | (model.outputs & batch::kSparseOutput);
    if (info.spec.colbert != store::MultiVectorEncoding::kNone) {
      if (!(model.outputs & batch::kColbertOutput)) {
        return Status::FailedPrecondition("collection \"" + name + "\" keeps ColBERT vectors; the served model " +
                                          model.model_id + " has none");
      }
      options.outputs |= batch::kColbertOutput;
    }
    // Token vectors stay in float32 until the write: count them against the
    // request's memory (a chunk has at most the model's length in tokens and
    // about one token per byte of text at most, plus the special tokens).
    size_t colbert_bytes = 0;
    if (options.outputs & batch::kColbertOutput) {
      for (const std::string& text : texts) {
        const size_t tokens = std::min<size_t>(std::max<size_t>(model.max_seq_length, 1), text.size() + 4);
        colbert_bytes += tokens * model.colbert_dimension * sizeof(float);
      }
    }
    IMI_ASSIGN_OR_RETURN(MemoryCharge colbert_charge,
                         MemoryCharge::Take(CurrentRequestMemory(), colbert_bytes, "the documents' ColBERT vectors"));
    for (size_t begin = 0; begin < texts.size(); begin += kEmbedSlice) {
      const size_t end = std::min(texts.size(), begin + kEmbedSlice);
      const std::vector<std::string> slice(texts.begin() + static_cast<std::ptrdiff_t>(begin),
                                           texts.begin() + static_cast<std::ptrdiff_t>(end));
      IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts(slice, options, "documents"));
      for (size_t i = begin; i < end; ++i) {
        store::Chunk& chunk = *targets[i];
        chunk.vector = std::move(outcome.vectors[i - begin]);
        // A sparse vector sent with the text wins over the model's.
        if ((options.outputs & batch::kSparseOutput) && chunk.sparse.empty()) {
          chunk.sparse = ToSparse(outcome.sparse[i - begin]);
        }
        if (options.outputs & batch::kColbertOutput) chunk.colbert = ToMultiVector(std::move(outcome.colbert[i - begin]));
      }
    }
  }
  std::vector<store::Document> docs;
  docs.reserve(incoming.size());
  for (IncomingDocument& in : incoming) {
    chunk_count += in.doc.chunks.size();
    docs.push_back(std::move(in.doc));
  }
  // A loaded index takes the write in place; an unloaded one would go stale
  // and the next search would rebuild it from every stored vector.
  IMI_RETURN_IF_ERROR(vs->PrepareIndex(name));
  IMI_ASSIGN_OR_RETURN(store::UpsertResult result, vs->Upsert(name, std::move(docs)));
  return JsonResponse(DumpJson(json{{"collection", name},
                                    {"ids", result.ids},
                                    {"documents", result.ids.size()},
                                    {"chunks", chunk_count}}));
}

Result<HttpResponse> HandleGetDocument(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  const std::string id = ctx.params.size() > 1 ? ctx.params[1] : "";
  IMI_RETURN_IF_ERROR(store::ValidateDocumentId(id));
  const bool vectors = request.Query("vectors") == "true" || request.Query("vectors") == "1";
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(store::Document doc, vs->GetDocument(name, id));
  json chunks = json::array();
  for (const store::Chunk& chunk : doc.chunks) chunks.push_back(ChunkJson(chunk, true, vectors));
  json out = {{"id", doc.id}};
  if (!doc.text.empty()) out["text"] = doc.text;  // vectors-only documents have none
  out["metadata"] = doc.metadata;
  out["chunks"] = std::move(chunks);
  return JsonResponse(DumpJson(out));
}

Result<HttpResponse> HandleDeleteDocument(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  const std::string id = ctx.params.size() > 1 ? ctx.params[1] : "";
  IMI_RETURN_IF_ERROR(store::ValidateDocumentId(id));
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_RETURN_IF_ERROR(vs->PrepareIndex(name));  // as for upserts
  IMI_RETURN_IF_ERROR(vs->DeleteDocument(name, id));
  return JsonResponse(DumpJson(json{{"deleted", true}, {"collection", name}, {"id", id}}));
}

Result<HttpResponse> HandleSearchCollection(RouteContext& ctx, const HttpRequest& request) {
  IMI_ASSIGN_OR_RETURN(std::string name, CollectionName(ctx));
  IMI_ASSIGN_OR_RETURN(json body, ParseObjectBody(request));
  IMI_ASSIGN_OR_RETURN(SearchBody search, ParseSearchBody(body));
  IMI_ASSIGN_OR_RETURN(store::VectorStore * vs, RequireStore(ctx));
  IMI_ASSIGN_OR_RETURN(store::CollectionInfo info, vs->GetCollection(name));
  store::ModeSearchRequest& r = search.request;
  // The dense component embeds the query text unless a vector came along.
  // Dense search needs the served model; hybrid search leaves the dense
  // component out when the collection holds another model's vectors or no
  // model is loaded (the response's "components" say what ran).
  const bool dense = r.mode == store::SearchMode::kDense;
  const bool hybrid = r.mode == store::SearchMode::kHybrid;
  if (r.mode == store::SearchMode::kM3 && search.query.has_value()) {
    // All of bge-m3's outputs of the query, from the collection's model.
    IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
    const batch::BackendInfo& model = service->backend().info();
    IMI_RETURN_IF_ERROR(CheckModel(model, info));
    batch::EmbedOptions options;
    options.prompt_name = PromptFor(model, {"query"});
    options.outputs = batch::kDenseOutput | (model.outputs & (batch::kSparseOutput | batch::kColbertOutput));
    IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts({*search.query}, options, "query"));
    r.vector = std::move(outcome.vectors[0]);
    if (options.outputs & batch::kSparseOutput) r.sparse = ToSparse(outcome.sparse[0]);
    if (options.outputs & batch::kColbertOutput) r.colbert = ToMultiVector(std::move(outcome.colbert[0]));
  }
  if (search.query.has_value() && !search.has_vector && (dense || hybrid)) {
    const bool usable = ctx.service != nullptr && ctx.state == ServeState::kReady &&
                        CheckModel(ctx.service->backend().info(), info).ok();
    if (dense || usable) {
      IMI_ASSIGN_OR_RETURN(EmbedService * service, RequireService(ctx));
      const batch::BackendInfo& model = service->backend().info();
      IMI_RETURN_IF_ERROR(CheckModel(model, info));
      batch::EmbedOptions options;
      options.prompt_name = PromptFor(model, {"query"});
      IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, service->EmbedTexts({*search.query}, options, "query"));
      r.vector = std::move(outcome.vectors[0]);
    }
  }
  if (search.rerank_top == 0) {
    IMI_ASSIGN_OR_RETURN(store::ModeSearchResponse found, store::SearchByMode(vs, name, r));
    return JsonResponse(DumpJson(SearchResultsJson(name, r, found)));
  }
  // Rerank: the first N candidates (their best chunks' texts) through the
  // served cross-encoder, on the embedding queue.
  if (ctx.service == nullptr || ctx.service->backend().reranker() == nullptr) {
    return Status::Unprocessable("'rerank' needs a reranker: start imi serve with --reranker DIR (a cross-encoder "
                                 "such as bge-reranker-v2-m3), or drop 'rerank'");
  }
  if (!search.query.has_value() || search.query->empty()) {
    return Status::InvalidArgument("'rerank' scores the candidates against 'query': send the query text");
  }
  store::ModeSearchRequest retrieval = r;
  retrieval.k = std::max(r.k, search.rerank_top);
  retrieval.include.text = true;
  IMI_ASSIGN_OR_RETURN(store::ModeSearchResponse found, store::SearchByMode(vs, name, retrieval));
  const size_t top = std::min<size_t>(static_cast<size_t>(search.rerank_top), found.hits.size());
  std::vector<double> scores;
  if (top > 0) {
    std::vector<std::string> texts;
    for (size_t i = 0; i < top; ++i) {
      const store::SearchHit& hit = found.hits[i].hit;
      texts.push_back(hit.chunk.text.empty() ? hit.text : hit.chunk.text);
      if (texts.back().empty()) texts.back() = " ";  // a vectors-only document has no text to read
    }
    IMI_ASSIGN_OR_RETURN(EmbedOutcome outcome, ctx.service->Rerank(*search.query, texts, {}, "candidates"));
    const bool sigmoid = ctx.service->backend().reranker()->sigmoid;
    for (float logit : outcome.scores) scores.push_back(sigmoid ? 1.0 / (1.0 + std::exp(-static_cast<double>(logit))) : logit);
  }
  IMI_RETURN_IF_ERROR(store::ApplyRerank(&found, scores, top, static_cast<size_t>(r.k)));
  if (!r.include.text) {
    for (store::ModeSearchHit& hit : found.hits) {
      hit.hit.text.clear();
      hit.hit.chunk.text.clear();
      hit.highlights.clear();
    }
  }
  return JsonResponse(DumpJson(SearchResultsJson(name, r, found)));
}

}  // namespace imi::server
