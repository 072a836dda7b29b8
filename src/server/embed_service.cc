#include "server/embed_service.h"

#include <chrono>
#include <cmath>

#include "server/memory_budget.h"

namespace imi::server {

namespace {

using Clock = std::chrono::steady_clock;

// Texts shorter than this are tokenised without a memory charge.
constexpr size_t kChargedTextBytes = 4096;

std::string FieldAt(std::string_view field, size_t index, size_t count) {
  std::string name(field);
  if (count > 1) {
    name += '[';
    name += std::to_string(index);
    name += ']';
  }
  return name;
}

}  // namespace

EmbedService::EmbedService(const batch::EmbeddingBackend& backend, batch::BatcherOptions options, Metrics* metrics)
    : backend_(backend), metrics_(metrics), batcher_(backend, options, metrics) {}

Status EmbedService::CheckOptions(const batch::EmbedOptions& options) const {
  if (options.outputs == 0) return Status::InvalidArgument("no output asked for");
  if ((options.outputs & ~backend_.info().outputs) != 0) {
    return Status::Unsupported(
        "the served model has no " +
        std::string((options.outputs & ~backend_.info().outputs & batch::kSparseOutput) ? "sparse" : "colbert") +
        " output; bge-m3's sparse and ColBERT outputs need its sparse_linear.pt / colbert_linear.pt or an ONNX "
        "export with dense_vecs, sparse_vecs, colbert_vecs (docs/models.md)");
  }
  const size_t dimension = backend_.info().dimension;
  if (options.dimensions.has_value() && (*options.dimensions == 0 || *options.dimensions > dimension)) {
    return Status::Unprocessable("dimensions must be between 1 and the model's dimension " +
                                 std::to_string(dimension) + ", got " + std::to_string(*options.dimensions));
  }
  return Status::Ok();
}

Result<EmbedOutcome> EmbedService::EmbedTexts(const std::vector<std::string>& texts,
                                              const batch::EmbedOptions& options, std::string_view field) {
  if (texts.empty()) return Status::Unprocessable(std::string(field) + " must not be empty");
  IMI_RETURN_IF_ERROR(CheckOptions(options));
  const Clock::time_point start = Clock::now();
  std::vector<std::unique_ptr<batch::PreparedInput>> inputs;
  inputs.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) {
      return Status::Unprocessable(FieldAt(field, i, texts.size()) + " must not be an empty string");
    }
    // The tokenizer's working memory grows with the whole text, even when
    // truncation keeps only its start.
    IMI_ASSIGN_OR_RETURN(MemoryCharge charge,
                         MemoryCharge::Take(texts[i].size() >= kChargedTextBytes ? CurrentRequestMemory() : nullptr,
                                            texts[i].size() * kTokenizerBytesPerInputByte, "tokenizing this input"));
    auto input = backend_.Encode(texts[i], options);
    if (!input.ok()) return input.status().WithContext(FieldAt(field, i, texts.size()));
    inputs.push_back(std::move(input).value());
  }
  const double tokenize_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Run(std::move(inputs), options, tokenize_seconds);
}

Result<EmbedOutcome> EmbedService::EmbedTokens(const std::vector<std::vector<int32_t>>& token_inputs,
                                               const batch::EmbedOptions& options, std::string_view field) {
  if (token_inputs.empty()) return Status::Unprocessable(std::string(field) + " must not be empty");
  IMI_RETURN_IF_ERROR(CheckOptions(options));
  const Clock::time_point start = Clock::now();
  std::vector<std::unique_ptr<batch::PreparedInput>> inputs;
  for (size_t i = 0; i < token_inputs.size(); ++i) {
    if (token_inputs[i].empty()) {
      return Status::Unprocessable(FieldAt(field, i, token_inputs.size()) + " must not be an empty token list");
    }
    auto input = backend_.EncodeTokens(token_inputs[i], options);
    if (!input.ok()) return input.status().WithContext(FieldAt(field, i, token_inputs.size()));
    inputs.push_back(std::move(input).value());
  }
  const double tokenize_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Run(std::move(inputs), options, tokenize_seconds);
}

Result<EmbedOutcome> EmbedService::Rerank(const std::string& query, const std::vector<std::string>& texts,
                                          const batch::EmbedOptions& given, std::string_view field) {
  if (backend_.reranker() == nullptr) {
    return Status::Unsupported("this server has no reranker; start imi serve with --reranker DIR");
  }
  if (texts.empty()) return Status::Unprocessable(std::string(field) + " must not be empty");
  batch::EmbedOptions options = given;
  options.rerank = true;
  const Clock::time_point start = Clock::now();
  std::vector<std::unique_ptr<batch::PreparedInput>> inputs;
  inputs.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) {
      return Status::Unprocessable(FieldAt(field, i, texts.size()) + " must not be an empty string");
    }
    auto input = backend_.EncodePair(query, texts[i], options);
    if (!input.ok()) return input.status().WithContext(FieldAt(field, i, texts.size()));
    inputs.push_back(std::move(input).value());
  }
  const double tokenize_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Run(std::move(inputs), options, tokenize_seconds);
}

Result<EmbedOutcome> EmbedService::Run(std::vector<std::unique_ptr<batch::PreparedInput>> inputs,
                                       const batch::EmbedOptions& options, double tokenize_seconds) {
  EmbedOutcome outcome;
  outcome.tokenize_seconds = tokenize_seconds;
  for (const auto& input : inputs) {
    outcome.prompt_tokens += input->num_tokens();
    if (input->truncated()) ++outcome.truncated_inputs;
  }
  if (metrics_ != nullptr) metrics_->OnTokenize(tokenize_seconds);
  batch::RequestTimings timings;
  IMI_ASSIGN_OR_RETURN(std::vector<batch::InferOutput> outputs, batcher_.Embed(inputs, options, &timings));
  outcome.queue_seconds = timings.queue_seconds;
  outcome.infer_seconds = timings.infer_seconds;
  if (metrics_ != nullptr) metrics_->OnQueueWait(timings.queue_seconds);
  auto finite = [](const std::vector<float>& values) {
    for (float v : values) {
      if (!std::isfinite(v)) return false;
    }
    return true;
  };
  for (batch::InferOutput& o : outputs) {
    if (!finite(o.vector) || !finite(o.sparse.values) || !finite(o.colbert.values)) {
      return Status::Internal("the model produced a non-finite value");
    }
    if (options.rerank) {
      outcome.scores.push_back(o.vector.empty() ? 0.0f : o.vector[0]);
      continue;
    }
    if (options.outputs & batch::kDenseOutput) outcome.vectors.push_back(std::move(o.vector));
    if (options.outputs & batch::kSparseOutput) outcome.sparse.push_back(std::move(o.sparse));
    if (options.outputs & batch::kColbertOutput) outcome.colbert.push_back(std::move(o.colbert));
  }
  return outcome;
}

}  // namespace imi::server
