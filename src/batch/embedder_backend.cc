#include "batch/embedder_backend.h"

#include <algorithm>
#include <cmath>

#include "base/utf8.h"
#include "tokenizer/tokenizer.h"

namespace imi::batch {

static_assert(static_cast<unsigned>(kDenseOutput) == model::kDenseOutput &&
              static_cast<unsigned>(kSparseOutput) == model::kSparseOutput &&
              static_cast<unsigned>(kColbertOutput) == model::kColbertOutput);

namespace {

class EncodedText : public PreparedInput {
 public:
  explicit EncodedText(model::EncodedInput input) : input_(std::move(input)) {}
  size_t num_tokens() const override { return input_.token_count; }
  bool truncated() const override { return input_.truncated; }
  const model::EncodedInput& input() const { return input_; }

 private:
  model::EncodedInput input_;
};

model::EmbedOptions ToModelOptions(const EmbedOptions& options) {
  model::EmbedOptions out;
  out.prompt_name = options.prompt_name;
  out.dimensions = options.dimensions.value_or(0);
  out.truncate = options.truncate;
  return out;
}

void L2Normalize(std::vector<float>* v) {
  double sum = 0;
  for (float f : *v) sum += static_cast<double>(f) * f;
  const double norm = std::sqrt(sum);
  if (norm <= 0) return;
  for (float& f : *v) f = static_cast<float>(f / norm);
}

}  // namespace

EmbedderBackend::~EmbedderBackend() = default;

Result<std::unique_ptr<EmbedderBackend>> EmbedderBackend::Create(std::unique_ptr<model::Embedder> embedder,
                                                                 size_t max_run_tokens) {
  std::unique_ptr<EmbedderBackend> backend(new EmbedderBackend());
  backend->max_run_tokens_ = std::max<size_t>(max_run_tokens, 1);
  const model::ModelInfo& m = embedder->info();
  backend->info_.model_id = m.id;
  backend->info_.revision = m.revision;
  backend->info_.variant = m.variant_file;
  backend->info_.pooling = std::string(model::PoolingModeName(m.pooling));
  backend->info_.dimension = m.dimension;
  backend->info_.max_seq_length = m.max_seq_length;
  backend->info_.vocab_size = m.vocab_size > 0 ? static_cast<size_t>(m.vocab_size) : 0;
  backend->info_.normalize = m.normalize;
  backend->info_.threads = m.threads;
  for (const auto& [name, prompt] : m.prompts) backend->info_.prompt_names.push_back(name);
  // model:: and batch:: output bits are the same numbers (checked below).
  backend->info_.outputs = m.outputs;
  backend->info_.heads = m.heads;
  backend->info_.colbert_dimension = m.colbert_dimension;

  // The post-processor's frame, e.g. [CLS] ... [SEP], from an empty text.
  model::EmbedOptions plain;
  plain.prompt = "";
  auto frame = embedder->Encode("", plain);
  if (frame.ok() && frame->ids.size() <= 2) {
    if (!frame->ids.empty()) backend->prefix_ids_.push_back(frame->ids.front());
    if (frame->ids.size() == 2) backend->suffix_ids_.push_back(frame->ids.back());
    backend->token_inputs_supported_ = true;
  }
  backend->embedder_ = std::move(embedder);
  return backend;
}

Status EmbedderBackend::CheckNormalize(const EmbedOptions& options) const {
  if (options.normalize.has_value() && !*options.normalize && info_.normalize) {
    return Status::Unprocessable(
        "normalize=false is not available: this model L2-normalises its vectors (Normalize module)");
  }
  if (options.truncate_left) {
    return Status::Unsupported("truncation_direction \"Left\" is not supported; use \"Right\"");
  }
  return Status::Ok();
}

Result<std::unique_ptr<PreparedInput>> EmbedderBackend::Encode(std::string_view text,
                                                               const EmbedOptions& options) const {
  IMI_RETURN_IF_ERROR(CheckNormalize(options));
  IMI_ASSIGN_OR_RETURN(model::EncodedInput input, embedder_->Encode(text, ToModelOptions(options)));
  return std::unique_ptr<PreparedInput>(std::make_unique<EncodedText>(std::move(input)));
}

Result<std::unique_ptr<PreparedInput>> EmbedderBackend::EncodeTokens(const std::vector<int32_t>& ids,
                                                                     const EmbedOptions& options) const {
  IMI_RETURN_IF_ERROR(CheckNormalize(options));
  if (!token_inputs_supported_) {
    return Status::Unsupported("token-id inputs are not supported for this model's tokenizer; send text");
  }
  for (int32_t id : ids) {
    if (id < 0 || (info_.vocab_size > 0 && static_cast<size_t>(id) >= info_.vocab_size)) {
      return Status::Unprocessable("token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                                   std::to_string(info_.vocab_size));
    }
  }
  const size_t frame = prefix_ids_.size() + suffix_ids_.size();
  const size_t room = info_.max_seq_length > frame ? info_.max_seq_length - frame : 0;
  model::EncodedInput input;
  size_t keep = ids.size();
  if (keep > room) {
    if (!options.truncate) {
      return Status::Unprocessable("input has " + std::to_string(ids.size() + frame) +
                                   " tokens, more than the model's max_seq_length " +
                                   std::to_string(info_.max_seq_length) + " (truncation is off)");
    }
    keep = room;
    input.truncated = true;
  }
  input.ids.assign(prefix_ids_.begin(), prefix_ids_.end());
  input.ids.insert(input.ids.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep));
  input.ids.insert(input.ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  input.type_ids.assign(input.ids.size(), 0);
  input.token_count = input.ids.size();
  return std::unique_ptr<PreparedInput>(std::make_unique<EncodedText>(std::move(input)));
}

void EmbedderBackend::AttachReranker(std::unique_ptr<model::CrossEncoder> reranker) {
  const model::CrossEncoderInfo& r = reranker->info();
  reranker_info_.model_id = r.id;
  reranker_info_.revision = r.revision;
  reranker_info_.variant = r.variant_file;
  reranker_info_.max_length = r.max_length;
  reranker_info_.sigmoid = r.activation == model::ScoreActivation::kSigmoid;
  reranker_ = std::move(reranker);
}

Result<std::unique_ptr<PreparedInput>> EmbedderBackend::EncodePair(std::string_view query, std::string_view text,
                                                                   const EmbedOptions& options) const {
  if (reranker_ == nullptr) return EmbeddingBackend::EncodePair(query, text, options);
  if (options.truncate_left) {
    return Status::Unsupported("truncation_direction \"Left\" is not supported; use \"Right\"");
  }
  IMI_ASSIGN_OR_RETURN(model::EncodedInput input, reranker_->EncodePair(query, text, options.truncate));
  return std::unique_ptr<PreparedInput>(std::make_unique<EncodedText>(std::move(input)));
}

Result<std::vector<InferOutput>> EmbedderBackend::Infer(const std::vector<const PreparedInput*>& batch,
                                                        const EmbedOptions& options) const {
  if (options.rerank && reranker_ == nullptr) return EmbeddingBackend::EncodePair("", "", options).status();
  const model::EmbedOptions model_options = ToModelOptions(options);
  std::vector<InferOutput> outputs;
  outputs.reserve(batch.size());
  std::vector<const model::EncodedInput*> run;
  size_t run_longest = 0;
  // Cuts the batch, in its order, into runs whose padded size stays within
  // max_run_tokens_; each run is one ONNX Runtime call.
  auto flush = [&]() -> Status {
    if (run.empty()) return Status::Ok();
    if (options.rerank) {
      IMI_ASSIGN_OR_RETURN(std::vector<float> logits, reranker_->Infer(run));
      for (float logit : logits) outputs.push_back(InferOutput{{logit}, {}, {}});
    } else {
      IMI_ASSIGN_OR_RETURN(std::vector<model::TextOutputs> part,
                           embedder_->InferOutputs(run, model_options, options.outputs));
      for (model::TextOutputs& o : part) {
        InferOutput out;
        out.vector = std::move(o.dense);
        out.sparse.indices = std::move(o.sparse.ids);
        out.sparse.values = std::move(o.sparse.weights);
        out.colbert.dim = o.colbert.dim;
        out.colbert.values = std::move(o.colbert.values);
        outputs.push_back(std::move(out));
      }
    }
    run.clear();
    run_longest = 0;
    return Status::Ok();
  };
  for (const PreparedInput* p : batch) {
    const model::EncodedInput* input = &static_cast<const EncodedText*>(p)->input();
    const size_t longest = std::max(run_longest, input->ids.size());
    if (!run.empty() && (run.size() + 1) * longest > max_run_tokens_) IMI_RETURN_IF_ERROR(flush());
    run.push_back(input);
    run_longest = std::max(run_longest, input->ids.size());
  }
  IMI_RETURN_IF_ERROR(flush());
  if (!options.rerank && options.normalize.value_or(false) && !info_.normalize) {
    for (auto& o : outputs) {
      if (!o.vector.empty()) L2Normalize(&o.vector);
    }
  }
  return outputs;
}

Result<std::vector<TokenInfo>> EmbedderBackend::Tokenize(std::string_view text, bool add_special_tokens) const {
  IMI_ASSIGN_OR_RETURN(tokenizer::Encoding enc, embedder_->tokenizer().Encode(text, add_special_tokens));
  // Offsets come in code points; /tokenize reports byte offsets.
  std::vector<size_t> byte_at;
  byte_at.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    byte_at.push_back(pos);
    (void)utf8::Decode(text, &pos);
  }
  byte_at.push_back(text.size());
  auto to_byte = [&byte_at](size_t cp) { return cp < byte_at.size() ? byte_at[cp] : byte_at.back(); };
  std::vector<TokenInfo> tokens;
  tokens.reserve(enc.size());
  for (size_t i = 0; i < enc.size(); ++i) {
    TokenInfo t;
    t.id = enc.ids[i];
    t.text = enc.tokens[i];
    t.special = i < enc.special_tokens_mask.size() && enc.special_tokens_mask[i] != 0;
    t.start = t.special ? 0 : to_byte(enc.offsets[i].first);
    t.end = t.special ? 0 : to_byte(enc.offsets[i].second);
    tokens.push_back(std::move(t));
  }
  return tokens;
}

}  // namespace imi::batch
