#include "test_backend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "base/utf8.h"

namespace imi::testing {

namespace {

constexpr int32_t kCls = 1;
constexpr int32_t kSep = 2;
constexpr int32_t kVocabSize = 1005;

class TestInput : public batch::PreparedInput {
 public:
  TestInput(std::vector<int32_t> ids, bool truncated, bool fail, size_t query_tokens = 0)
      : ids_(std::move(ids)), truncated_(truncated), fail_(fail), query_tokens_(query_tokens) {}
  size_t num_tokens() const override { return ids_.size(); }
  bool truncated() const override { return truncated_; }
  const std::vector<int32_t>& ids() const { return ids_; }
  bool fail() const { return fail_; }
  // Pairs: [CLS] query [SEP] text [SEP]; the query's token count.
  size_t query_tokens() const { return query_tokens_; }

 private:
  std::vector<int32_t> ids_;
  bool truncated_;
  bool fail_;
  size_t query_tokens_;
};

std::vector<int32_t> CodePoints(std::string_view text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos < text.size()) ids.push_back(static_cast<int32_t>(utf8::Decode(text, &pos) % 1000 + 5));
  return ids;
}

batch::SparseVector SparseOf(const std::vector<int32_t>& ids) {
  std::map<int32_t, float> best;
  for (int32_t id : ids) {
    if (id == kCls || id == kSep) continue;
    float& w = best[id];
    w = std::max(w, static_cast<float>((id * 7) % 10 + 1) / 10.0f);
  }
  batch::SparseVector out;
  for (const auto& [id, w] : best) {
    out.indices.push_back(id);
    out.values.push_back(w);
  }
  return out;
}

batch::TokenVectors ColbertOf(const std::vector<int32_t>& ids) {
  batch::TokenVectors out;
  out.dim = 4;
  for (size_t t = 1; t < ids.size(); ++t) {
    float v[4];
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      v[k] = static_cast<float>(std::cos(ids[t] * 0.37 + k));
      sum += static_cast<double>(v[k]) * v[k];
    }
    for (int k = 0; k < 4; ++k) out.values.push_back(static_cast<float>(v[k] / std::sqrt(sum)));
  }
  return out;
}

float ScoreOf(const std::vector<int32_t>& query, const std::vector<int32_t>& text) {
  float score = 0;
  for (int32_t id : text) {
    if (std::find(query.begin(), query.end(), id) != query.end()) score += 1;
  }
  return score - 0.001f * static_cast<float>(text.size());
}

}  // namespace

TestBackend::TestBackend(size_t dimension, size_t max_seq_length) {
  info_.model_id = "imi-test/hash-model";
  info_.revision = "0000000000000000000000000000000000000000";
  info_.variant = "test";
  info_.pooling = "mean";
  info_.dimension = dimension;
  info_.max_seq_length = max_seq_length;
  info_.vocab_size = kVocabSize;
  info_.normalize = false;
  info_.threads = 1;
  info_.prompt_names = {"query", "passage"};
  info_.outputs = batch::kDenseOutput | batch::kSparseOutput | batch::kColbertOutput;
  info_.heads = "test";
  info_.colbert_dimension = 4;
}

void TestBackend::EnableReranker(bool sigmoid) {
  reranker_ = true;
  reranker_info_.model_id = "imi-test/hash-reranker";
  reranker_info_.variant = "test";
  reranker_info_.max_length = info_.max_seq_length;
  reranker_info_.sigmoid = sigmoid;
}

Result<std::unique_ptr<batch::PreparedInput>> TestBackend::EncodePair(std::string_view query, std::string_view text,
                                                                      const batch::EmbedOptions& options) const {
  if (!reranker_) return batch::EmbeddingBackend::EncodePair(query, text, options);
  if (utf8::FindInvalid(query) != std::string_view::npos || utf8::FindInvalid(text) != std::string_view::npos) {
    return Status::InvalidArgument("input is not valid UTF-8");
  }
  std::vector<int32_t> q = CodePoints(query);
  std::vector<int32_t> t = CodePoints(text);
  bool truncated = false;
  const size_t room = info_.max_seq_length - 3;
  if (q.size() + t.size() > room) {
    if (!options.truncate) return Status::Unprocessable("the pair is longer than the maximum");
    truncated = true;
    while (q.size() + t.size() > room) (t.size() >= q.size() ? t : q).pop_back();  // longest first
  }
  std::vector<int32_t> ids{kCls};
  ids.insert(ids.end(), q.begin(), q.end());
  ids.push_back(kSep);
  ids.insert(ids.end(), t.begin(), t.end());
  ids.push_back(kSep);
  const bool fail = text.find("__fail__") != std::string_view::npos;
  return std::unique_ptr<batch::PreparedInput>(std::make_unique<TestInput>(std::move(ids), truncated, fail, q.size()));
}

Result<std::unique_ptr<batch::PreparedInput>> TestBackend::Encode(std::string_view text,
                                                                  const batch::EmbedOptions& options) const {
  if (utf8::FindInvalid(text) != std::string_view::npos) {
    return Status::InvalidArgument("input is not valid UTF-8");
  }
  std::string full;
  if (options.prompt_name.has_value()) {
    if (*options.prompt_name == "query") {
      full = "query: ";
    } else if (*options.prompt_name == "passage") {
      full = "passage: ";
    } else {
      return Status::InvalidArgument("unknown prompt name '" + *options.prompt_name + "'");
    }
  }
  full += text;
  std::vector<int32_t> body;
  size_t pos = 0;
  while (pos < full.size()) body.push_back(static_cast<int32_t>(utf8::Decode(full, &pos) % 1000 + 5));
  const bool fail = text.find("__fail__") != std::string_view::npos;
  const size_t room = info_.max_seq_length - 2;
  bool truncated = false;
  if (body.size() > room) {
    if (!options.truncate) {
      return Status::Unprocessable("input has " + std::to_string(body.size() + 2) + " tokens, more than the maximum " +
                                   std::to_string(info_.max_seq_length));
    }
    truncated = true;
    if (options.truncate_left) {
      body.erase(body.begin(), body.end() - static_cast<std::ptrdiff_t>(room));
    } else {
      body.resize(room);
    }
  }
  std::vector<int32_t> ids{kCls};
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(kSep);
  return std::unique_ptr<batch::PreparedInput>(std::make_unique<TestInput>(std::move(ids), truncated, fail));
}

Result<std::unique_ptr<batch::PreparedInput>> TestBackend::EncodeTokens(const std::vector<int32_t>& ids,
                                                                        const batch::EmbedOptions& options) const {
  for (int32_t id : ids) {
    if (id < 0 || id >= kVocabSize) {
      return Status::Unprocessable("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                                   std::to_string(kVocabSize - 1) + ")");
    }
  }
  std::vector<int32_t> body = ids;
  const size_t room = info_.max_seq_length - 2;
  bool truncated = false;
  if (body.size() > room) {
    if (!options.truncate) return Status::Unprocessable("too many tokens");
    body.resize(room);
    truncated = true;
  }
  std::vector<int32_t> full{kCls};
  full.insert(full.end(), body.begin(), body.end());
  full.push_back(kSep);
  return std::unique_ptr<batch::PreparedInput>(std::make_unique<TestInput>(std::move(full), truncated, false));
}

std::vector<float> TestBackend::VectorFor(const std::vector<int32_t>& ids, const batch::EmbedOptions& options) const {
  uint64_t h = 1469598103934665603ULL;
  for (int32_t id : ids) h = (h ^ static_cast<uint64_t>(id)) * 1099511628211ULL;
  std::vector<float> v(info_.dimension);
  for (size_t d = 0; d < v.size(); ++d) {
    v[d] = static_cast<float>(std::sin(static_cast<double>(h % 100003) + 0.7 * static_cast<double>(d)));
  }
  const bool normalize = options.normalize.value_or(info_.normalize);
  auto renormalize = [](std::vector<float>& x) {
    double sum = 0;
    for (float f : x) sum += static_cast<double>(f) * f;
    const double norm = std::sqrt(sum);
    if (norm > 0) {
      for (float& f : x) f = static_cast<float>(f / norm);
    }
  };
  if (normalize) renormalize(v);
  if (options.dimensions.has_value() && *options.dimensions < v.size()) {
    v.resize(*options.dimensions);
    renormalize(v);
  }
  return v;
}

Result<std::vector<batch::InferOutput>> TestBackend::Infer(const std::vector<const batch::PreparedInput*>& batch,
                                                           const batch::EmbedOptions& options) const {
  size_t longest = 0;
  for (const batch::PreparedInput* input : batch) longest = std::max(longest, input->num_tokens());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch_sizes_.push_back(batch.size());
    padded_tokens_.push_back(longest * batch.size());
  }
  if (const int delay = infer_delay_ms.load(); delay > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
  std::vector<batch::InferOutput> out;
  for (const batch::PreparedInput* input : batch) {
    const auto* test_input = static_cast<const TestInput*>(input);
    if (test_input->fail()) return Status::Internal("inference failed on purpose for a test");
    batch::InferOutput o;
    if (options.rerank) {
      if (!reranker_) return Status::Unsupported("no reranker");
      const auto& ids = test_input->ids();
      const size_t q = test_input->query_tokens();
      o.vector = {ScoreOf(std::vector<int32_t>(ids.begin() + 1, ids.begin() + 1 + static_cast<std::ptrdiff_t>(q)),
                          std::vector<int32_t>(ids.begin() + 2 + static_cast<std::ptrdiff_t>(q), ids.end() - 1))};
      out.push_back(std::move(o));
      continue;
    }
    if (options.outputs & batch::kDenseOutput) o.vector = VectorFor(test_input->ids(), options);
    if (options.outputs & batch::kSparseOutput) o.sparse = SparseOf(test_input->ids());
    if (options.outputs & batch::kColbertOutput) o.colbert = ColbertOf(test_input->ids());
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<batch::TokenInfo>> TestBackend::Tokenize(std::string_view text, bool add_special_tokens) const {
  if (utf8::FindInvalid(text) != std::string_view::npos) {
    return Status::InvalidArgument("input is not valid UTF-8");
  }
  std::vector<batch::TokenInfo> tokens;
  if (add_special_tokens) tokens.push_back({kCls, "[CLS]", true, 0, 0});
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = utf8::Decode(text, &pos);
    tokens.push_back({static_cast<int32_t>(cp % 1000 + 5), std::string(text.substr(start, pos - start)), false,
                      start, pos});
  }
  if (add_special_tokens) tokens.push_back({kSep, "[SEP]", true, 0, 0});
  return tokens;
}

std::vector<float> TestBackend::ExpectedVector(std::string_view text, const batch::EmbedOptions& options) const {
  auto input = Encode(text, options);
  if (!input.ok()) return {};
  return VectorFor(static_cast<const TestInput*>(input->get())->ids(), options);
}

batch::SparseVector TestBackend::ExpectedSparse(std::string_view text) const {
  auto input = Encode(text, {});
  if (!input.ok()) return {};
  return SparseOf(static_cast<const TestInput*>(input->get())->ids());
}

batch::TokenVectors TestBackend::ExpectedColbert(std::string_view text) const {
  auto input = Encode(text, {});
  if (!input.ok()) return {};
  return ColbertOf(static_cast<const TestInput*>(input->get())->ids());
}

float TestBackend::ExpectedScore(std::string_view query, std::string_view text) const {
  return ScoreOf(CodePoints(query), CodePoints(text));
}

std::vector<size_t> TestBackend::BatchSizes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return batch_sizes_;
}

std::vector<size_t> TestBackend::PaddedTokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return padded_tokens_;
}

}  // namespace imi::testing
