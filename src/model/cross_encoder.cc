#include "model/cross_encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/utf8.h"
#include "model/cpu_features.h"
#include "model/model_dir.h"
#include "model/onnx_session.h"
#include "tokenizer/tokenizer.h"

namespace imi::model {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

Json ReadJsonOrNull(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return nullptr;
  auto text = ReadFileToString(path.string());
  if (!text.ok()) return nullptr;
  Json j = Json::parse(*text, nullptr, false);
  return j.is_discarded() ? Json(nullptr) : j;
}

// sentence-transformers' CrossEncoder activation from config.json; `source`
// says where it was found.
Result<ScoreActivation> ConfiguredActivation(const Json& config, std::string* source) {
  std::string fn;
  if (config.is_object()) {
    auto st = config.find("sentence_transformers");
    if (st != config.end() && st->is_object() && st->contains("activation_fn") && (*st)["activation_fn"].is_string()) {
      fn = (*st)["activation_fn"].get<std::string>();
      *source = "config.json sentence_transformers.activation_fn";
    } else if (config.contains("sbert_ce_default_activation_function") &&
               config["sbert_ce_default_activation_function"].is_string()) {
      fn = config["sbert_ce_default_activation_function"].get<std::string>();
      *source = "config.json sbert_ce_default_activation_function";
    }
  }
  if (fn.empty()) {
    *source = "sentence-transformers' default for one label";
    return ScoreActivation::kSigmoid;
  }
  const std::string last = fn.substr(fn.rfind('.') == std::string::npos ? 0 : fn.rfind('.') + 1);
  if (last == "Sigmoid") return ScoreActivation::kSigmoid;
  if (last == "Identity") return ScoreActivation::kIdentity;
  return Status::Unsupported(*source + " is " + fn + "; imi applies Sigmoid or Identity (override with "
                                                     "--reranker-activation)");
}

}  // namespace

Result<ScoreActivation> ParseScoreActivation(std::string_view name) {
  if (name == "sigmoid") return ScoreActivation::kSigmoid;
  if (name == "identity" || name == "none" || name == "raw") return ScoreActivation::kIdentity;
  return Status::InvalidArgument("activation must be sigmoid or identity, got '" + std::string(name) + "'");
}

std::string_view ScoreActivationName(ScoreActivation activation) {
  return activation == ScoreActivation::kSigmoid ? "sigmoid" : "identity";
}

CrossEncoder::CrossEncoder() = default;
CrossEncoder::~CrossEncoder() = default;

Result<std::unique_ptr<CrossEncoder>> CrossEncoder::Load(const CrossEncoderConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  IMI_ASSIGN_OR_RETURN(ModelDir dir, LoadModelDir(config.model_path, config.tokenizer_path));
  IMI_ASSIGN_OR_RETURN(VariantChoice choice, ChooseVariant(dir.onnx_files, DetectCpuFeatures(), config.variant));
  std::unique_ptr<CrossEncoder> e(new CrossEncoder());
  CrossEncoderInfo& info = e->info_;
  info.id = dir.model_id;
  info.revision = dir.revision;
  info.root = dir.root;
  info.variant_file = choice.file;
  info.variant_reason = choice.reason;
  info.architecture = dir.model_type;
  e->pad_id_ = dir.pad_token_id;
  e->vocab_size_ = dir.vocab_size;
  e->max_batch_tokens_ = std::max<size_t>(config.max_batch_tokens, 1);

  const Json model_config = ReadJsonOrNull(fs::path(dir.root) / "config.json");
  if (model_config.is_object()) {
    size_t labels = 1;
    if (model_config.contains("num_labels") && model_config["num_labels"].is_number_integer()) {
      labels = model_config["num_labels"].get<size_t>();
    } else if (model_config.contains("id2label") && model_config["id2label"].is_object()) {
      labels = model_config["id2label"].size();
    }
    if (labels != 1) {
      return Status::Unsupported("the reranker has " + std::to_string(labels) +
                                 " labels; imi reranks with single-score cross-encoders (num_labels 1)");
    }
  }
  if (config.activation) {
    info.activation = *config.activation;
    info.activation_source = "--reranker-activation";
  } else {
    IMI_ASSIGN_OR_RETURN(info.activation, ConfiguredActivation(model_config, &info.activation_source));
  }

  const size_t limit = dir.PositionLimit();
  size_t max_len = limit > 0 ? limit : 512;
  const Json tok_config = ReadJsonOrNull(fs::path(dir.root) / "tokenizer_config.json");
  if (tok_config.is_object() && tok_config.contains("model_max_length") &&
      tok_config["model_max_length"].is_number_unsigned() && tok_config["model_max_length"].get<uint64_t>() > 0) {
    // transformers writes a huge sentinel when a tokenizer has no limit.
    max_len = static_cast<size_t>(std::min<uint64_t>(tok_config["model_max_length"].get<uint64_t>(), max_len));
  } else if (dir.max_seq_length) {
    max_len = std::min(max_len, *dir.max_seq_length);
  }
  if (config.max_length) {
    if (*config.max_length < 3) return Status::InvalidArgument("reranker max length must be at least 3");
    if (limit > 0 && *config.max_length > limit) {
      return Status::InvalidArgument("reranker max length " + std::to_string(*config.max_length) +
                                     " exceeds the model's position limit " + std::to_string(limit));
    }
    max_len = *config.max_length;
  }
  info.max_length = max_len;

  IMI_ASSIGN_OR_RETURN(e->tokenizer_, tokenizer::Tokenizer::FromFile(dir.tokenizer_path));
  e->truncating_tokenizer_ = e->tokenizer_->Clone();  // shares the parsed vocabulary
  e->tokenizer_->SetTruncation(std::nullopt);
  e->tokenizer_->SetPadding(std::nullopt);
  tokenizer::TruncationParams trunc;
  trunc.max_length = max_len;
  trunc.strategy = tokenizer::TruncationStrategy::kLongestFirst;
  e->truncating_tokenizer_->SetTruncation(trunc);
  e->truncating_tokenizer_->SetPadding(std::nullopt);

  OnnxSessionOptions so;
  so.model_path = (fs::path(dir.root) / choice.file).string();
  so.intra_op_threads = config.threads;
  so.output_name = "logits";
  auto session = OnnxSession::Open(so);
  if (!session.ok() && session.status().code() == StatusCode::kNotFound) {
    so.output_name.clear();  // an export that names its one output otherwise
    session = OnnxSession::Open(so);
  }
  IMI_RETURN_IF_ERROR(session.status());
  e->session_ = std::move(session).value();
  if (!e->session_->output_is_pooled()) {
    return Status::InvalidArgument(so.model_path + " outputs " + e->session_->output_name() +
                                   " per token; a reranker outputs logits [batch, 1] (a sequence classification "
                                   "model)");
  }
  if (e->session_->output_hidden_size() > 1) {
    return Status::Unsupported("the reranker's output " + e->session_->output_name() + " has " +
                               std::to_string(e->session_->output_hidden_size()) +
                               " labels; imi reranks with single-score cross-encoders");
  }
  const auto& inputs = e->session_->input_names();
  e->feeds_token_types_ = std::find(inputs.begin(), inputs.end(), "token_type_ids") != inputs.end();
  info.output_name = e->session_->output_name();
  info.threads = e->session_->intra_op_threads();
  info.load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return e;
}

Result<EncodedInput> CrossEncoder::EncodePair(std::string_view query, std::string_view text, bool truncate) const {
  for (std::string_view s : {query, text}) {
    const size_t bad = utf8::FindInvalid(s);
    if (bad != std::string_view::npos) {
      return Status::InvalidArgument("input is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    }
  }
  IMI_ASSIGN_OR_RETURN(tokenizer::Encoding enc, tokenizer_->EncodePair(query, text));
  EncodedInput out;
  if (enc.size() > info_.max_length) {
    if (!truncate) {
      return Status::Unprocessable("query and text have " + std::to_string(enc.size()) +
                                   " tokens together, more than the reranker's max length " +
                                   std::to_string(info_.max_length) + " (truncation is off)");
    }
    out.truncated = true;
    IMI_ASSIGN_OR_RETURN(enc, truncating_tokenizer_->EncodePair(query, text));
  }
  if (enc.size() == 0) return Status::InvalidArgument("input produced no tokens");
  out.ids.assign(enc.ids.begin(), enc.ids.end());
  out.type_ids.assign(enc.type_ids.begin(), enc.type_ids.end());
  out.token_count = out.ids.size();
  if (vocab_size_ > 0) {
    for (size_t i = 0; i < out.ids.size(); ++i) {
      if (out.ids[i] < 0 || out.ids[i] >= vocab_size_) {
        return Status::InvalidArgument("token id " + std::to_string(out.ids[i]) + " ('" + enc.tokens[i] +
                                       "') is beyond the reranker's vocabulary of " + std::to_string(vocab_size_) +
                                       ": tokenizer.json does not belong to this model");
      }
    }
  }
  return out;
}

Result<std::vector<float>> CrossEncoder::Infer(const std::vector<const EncodedInput*>& batch) const {
  if (batch.empty()) return std::vector<float>{};
  SessionInputs in;
  // Pairs are padded on the right; the logit is read from the pooled head.
  IMI_RETURN_IF_ERROR(PadBatch(batch, pad_id_, feeds_token_types_, /*pad_left=*/false, &in).status());
  IMI_ASSIGN_OR_RETURN(SessionOutput out, session_->Run(in));
  if (out.shape.size() != 2 || out.shape[0] != in.batch || out.shape[1] < 1) {
    return Status::Internal("reranker output has an unexpected shape");
  }
  std::vector<float> logits(batch.size());
  for (size_t b = 0; b < batch.size(); ++b) logits[b] = out.data[b * static_cast<size_t>(out.shape[1])];
  return logits;
}

Result<RerankResult> CrossEncoder::Score(std::string_view query, const std::vector<std::string>& texts,
                                         bool truncate) const {
  std::vector<EncodedInput> encoded;
  encoded.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto e = EncodePair(query, texts[i], truncate);
    if (!e.ok()) return texts.size() == 1 ? e.status() : e.status().WithContext("text " + std::to_string(i));
    encoded.push_back(std::move(e).value());
  }
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return encoded[a].ids.size() < encoded[b].ids.size(); });
  RerankResult result;
  result.logits.resize(texts.size());
  result.token_counts.resize(texts.size());
  result.truncated.resize(texts.size());
  size_t i = 0;
  while (i < order.size()) {
    size_t j = i + 1;
    while (j < order.size() && (j - i + 1) * encoded[order[j]].ids.size() <= max_batch_tokens_) ++j;
    std::vector<const EncodedInput*> batch;
    for (size_t k = i; k < j; ++k) batch.push_back(&encoded[order[k]]);
    IMI_ASSIGN_OR_RETURN(std::vector<float> logits, Infer(batch));
    for (size_t k = i; k < j; ++k) {
      const size_t at = order[k];
      result.logits[at] = logits[k - i];
      result.token_counts[at] = encoded[at].token_count;
      result.truncated[at] = encoded[at].truncated;
    }
    i = j;
  }
  return result;
}

float CrossEncoder::Activate(float logit) const {
  if (info_.activation == ScoreActivation::kIdentity) return logit;
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logit))));
}

}  // namespace imi::model
