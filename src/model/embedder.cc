#include "model/embedder.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <numeric>

#include "base/utf8.h"
#include "model/cpu_features.h"
#include "model/m3_plan.h"
#include "model/model_dir.h"
#include "model/onnx_session.h"
#include "model/ort_cache.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_cache.h"
#include "tokenizer/truncated_prefix.h"

namespace imi::model {

Embedder::Embedder() = default;
Embedder::~Embedder() = default;

Result<std::unique_ptr<Embedder>> Embedder::Load(const EmbedderConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  IMI_ASSIGN_OR_RETURN(ModelDir dir, LoadModelDir(config.model_path, config.tokenizer_path));
  IMI_ASSIGN_OR_RETURN(VariantChoice choice,
                       ChooseVariant(dir.onnx_files, DetectCpuFeatures(), config.variant));

  std::unique_ptr<Embedder> e(new Embedder());
  ModelInfo& info = e->info_;
  info.id = dir.model_id;
  info.revision = dir.revision;
  info.root = dir.root;
  info.variant_file = choice.file;
  info.variant_reason = choice.reason;
  info.quantized = choice.quantized;
  info.architecture = dir.model_type;
  info.vocab_size = dir.vocab_size;
  info.pooling = config.pooling.value_or(dir.pooling);
  info.normalize = config.normalize.value_or(dir.normalize);
  info.prompts = dir.prompts;
  info.default_prompt_name = dir.default_prompt_name;
  info.position_limit = dir.PositionLimit();
  e->max_batch_tokens_ = std::max<size_t>(config.max_batch_tokens, 1);
  e->pad_id_ = dir.pad_token_id;

  size_t max_len = dir.max_seq_length.value_or(info.position_limit > 0 ? info.position_limit : 512);
  if (info.position_limit > 0) max_len = std::min(max_len, info.position_limit);
  if (config.max_seq_length) {
    if (*config.max_seq_length == 0) return Status::InvalidArgument("max length must be at least 1");
    if (info.position_limit > 0 && *config.max_seq_length > info.position_limit) {
      return Status::InvalidArgument("max length " + std::to_string(*config.max_seq_length) +
                                     " exceeds the model's position limit " +
                                     std::to_string(info.position_limit));
    }
    max_len = *config.max_seq_length;
  }
  info.max_seq_length = max_len;
  info.include_prompt = dir.include_prompt;
  info.pad_left = dir.pad_left;

  const std::string model_path = (std::filesystem::path(dir.root) / choice.file).string();
  const auto tokenizer_start = std::chrono::steady_clock::now();
  // The binary tokenizer cache follows the optimised graph's setting and
  // directories (onnx_session.h): auto reads, write and a directory also write.
  std::vector<std::string> cache_read_dirs;
  std::string cache_write_dir;
  if (config.ort_cache == "auto" || config.ort_cache == "write") {
    cache_read_dirs = OrtCacheSearchDirs(model_path);
    if (config.ort_cache == "write") cache_write_dir = DefaultOrtCacheDir(model_path);
  } else if (config.ort_cache != "off" && !config.ort_cache.empty()) {
    cache_read_dirs = {config.ort_cache};
    cache_write_dir = config.ort_cache;
  }
  // The tokenizer loads on a thread of its own while ONNX Runtime builds the
  // session when that costs little memory (a small tokenizer.json, or one
  // its cache will serve): a start with two CPUs is ready sooner. A large
  // tokenizer.json without a cache builds a JSON DOM of ~200 MB; that one
  // loads first, alone, so its peak does not add to the session's.
  tokenizer::TokenizerCacheInfo tokenizer_cache;
  auto load_tokenizer = [&]() -> Result<std::unique_ptr<tokenizer::Tokenizer>> {
    auto loaded =
        tokenizer::LoadTokenizerCached(dir.tokenizer_path, cache_read_dirs, cache_write_dir, &tokenizer_cache);
    info.tokenizer_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tokenizer_start).count();
    return loaded;
  };
  std::future<Result<std::unique_ptr<tokenizer::Tokenizer>>> tokenizer_load;
  if (tokenizer::TokenizerLoadIsLight(dir.tokenizer_path, cache_read_dirs)) {
    tokenizer_load = std::async(std::launch::async, load_tokenizer);  // waited for on every path out
  } else {
    IMI_ASSIGN_OR_RETURN(e->tokenizer_, load_tokenizer());
  }
  OnnxSessionOptions so;
  so.model_path = model_path;
  so.intra_op_threads = config.threads;
  so.output_name = config.output_name;
  so.cache = config.ort_cache;
  Result<std::unique_ptr<OnnxSession>> session = OnnxSession::Open(so);
  if (tokenizer_load.valid()) {
    IMI_ASSIGN_OR_RETURN(e->tokenizer_, tokenizer_load.get());
  }
  IMI_ASSIGN_OR_RETURN(e->session_, std::move(session));
  // The tokenizer.json's padding side, when it configures padding, wins
  // over tokenizer_config.json's (as in transformers).
  if (const auto& padding = e->tokenizer_->padding()) {
    info.pad_left = padding->direction == tokenizer::PaddingDirection::kLeft;
  }
  info.tokenizer_cache_hit = tokenizer_cache.hit;
  info.tokenizer_cache_file = tokenizer_cache.file;
  info.tokenizer_cache_note = tokenizer_cache.note;
  // The truncating twin shares the parsed vocabulary: a 250k-piece
  // tokenizer.json is parsed once per start, not twice.
  e->truncating_tokenizer_ = e->tokenizer_->Clone();
  e->tokenizer_->SetTruncation(std::nullopt);
  e->tokenizer_->SetPadding(std::nullopt);
  tokenizer::TruncationParams trunc;
  trunc.max_length = max_len;
  e->truncating_tokenizer_->SetTruncation(trunc);
  e->truncating_tokenizer_->SetPadding(std::nullopt);

  const SessionLoadInfo& load = e->session_->load_info();
  info.hash_ms = load.hash_ms;
  info.session_ms = load.session_ms;
  info.cache_hit = load.cache_hit;
  info.cache_file = load.cache_file;
  info.cache_note = load.cache_note;
  const auto& inputs = e->session_->input_names();
  e->feeds_token_types_ = std::find(inputs.begin(), inputs.end(), "token_type_ids") != inputs.end();
  info.threads = e->session_->intra_op_threads();
  info.output_name = e->session_->output_name();
  info.dimension = static_cast<size_t>(
      e->session_->output_hidden_size() > 0 ? e->session_->output_hidden_size() : dir.hidden_size);

  std::vector<int64_t> frame;
  if (auto empty = e->tokenizer_->Encode(""); empty.ok()) frame.assign(empty->ids.begin(), empty->ids.end());
  IMI_ASSIGN_OR_RETURN(M3Plan plan, PlanM3(dir, *e->session_, *e->tokenizer_, frame));
  e->m3_ = std::make_unique<M3Plan>(std::move(plan));
  info.outputs = e->m3_->outputs;
  info.heads = e->m3_->description;
  if (e->m3_->heads) {
    info.colbert_dimension = e->m3_->heads->colbert_dim();
  } else if (!e->m3_->colbert_output.empty()) {
    for (const OutputInfo& o : e->session_->outputs()) {
      if (o.name == e->m3_->colbert_output) info.colbert_dimension = static_cast<size_t>(o.last_dim);
    }
  }
  info.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return e;
}

Result<EncodedInput> Embedder::Encode(std::string_view text, const EmbedOptions& options) const {
  const size_t bad = utf8::FindInvalid(text);
  if (bad != std::string_view::npos) {
    return Status::InvalidArgument("input is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  std::string prompt;
  if (options.prompt) {
    prompt = *options.prompt;
  } else {
    const std::optional<std::string>& name =
        options.prompt_name ? options.prompt_name : info_.default_prompt_name;
    if (name) {
      auto it = info_.prompts.find(*name);
      if (it == info_.prompts.end()) {
        std::string known;
        for (const auto& [k, v] : info_.prompts) known += (known.empty() ? "" : ", ") + k;
        return Status::InvalidArgument("unknown prompt name '" + *name + "' (the model has: " +
                                       (known.empty() ? "none" : known) + ")");
      }
      prompt = it->second;
    }
  }
  const bool has_prompt = options.prompt || options.prompt_name || info_.default_prompt_name;
  // No copy of a (possibly huge) input without a prompt.
  std::string with_prompt;
  std::string_view full = text;
  if (!prompt.empty()) {
    with_prompt = prompt + std::string(text);
    full = with_prompt;
  }
  // Only what truncation keeps is tokenised: a 20 MB line costs what a few
  // KB do, with the same tokens as tokenising all of it and truncating.
  IMI_ASSIGN_OR_RETURN(tokenizer::TruncatedEncoding cut,
                       tokenizer::EncodeTruncatedPrefix(*tokenizer_, *truncating_tokenizer_, full));
  EncodedInput out;
  if (cut.truncated) {
    if (!options.truncate) {
      const std::string count = cut.whole_length > 0 ? std::to_string(cut.whole_length) + " tokens, more" : "more tokens";
      return Status::Unprocessable("input has " + count + " than the model's max_seq_length " +
                                   std::to_string(info_.max_seq_length) + " (truncation is off)");
    }
    out.truncated = true;
  }
  tokenizer::Encoding& enc = cut.encoding;
  if (enc.size() == 0) return Status::InvalidArgument("input produced no tokens");
  out.ids.assign(enc.ids.begin(), enc.ids.end());
  out.type_ids.assign(enc.type_ids.begin(), enc.type_ids.end());
  out.token_count = out.ids.size();
  if (has_prompt && !info_.include_prompt) {
    // sentence-transformers: the prompt tokenised alone (special tokens
    // included) less one, i.e. the leading special token and the prompt.
    IMI_ASSIGN_OR_RETURN(tokenizer::Encoding p, tokenizer_->Encode(prompt));
    out.prompt_tokens = p.size() > 0 ? p.size() - 1 : 0;
  }
  if (info_.vocab_size > 0) {
    for (size_t i = 0; i < out.ids.size(); ++i) {
      if (out.ids[i] < 0 || out.ids[i] >= info_.vocab_size) {
        return Status::InvalidArgument(
            "token id " + std::to_string(out.ids[i]) + " ('" + enc.tokens[i] +
            "') is beyond the model's vocabulary of " + std::to_string(info_.vocab_size) +
            ": tokenizer.json does not belong to this model");
      }
    }
  }
  return out;
}

Result<std::vector<RowSpan>> PadBatch(const std::vector<const EncodedInput*>& batch, int64_t pad_id,
                                      bool token_types, bool pad_left, SessionInputs* in) {
  in->batch = static_cast<int64_t>(batch.size());
  size_t longest = 0;
  for (const EncodedInput* e : batch) longest = std::max(longest, e->ids.size());
  if (longest == 0) return Status::InvalidArgument("empty encoded input");
  in->sequence = static_cast<int64_t>(longest);
  const size_t n = batch.size() * longest;
  in->input_ids.assign(n, pad_id);
  in->attention_mask.assign(n, 0);
  if (token_types) in->token_type_ids.assign(n, 0);
  std::vector<RowSpan> rows(batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    const EncodedInput& e = *batch[b];
    // Padding uses the model's pad id: XLM-R counts positions over non-pad ids.
    const size_t offset = pad_left ? longest - e.ids.size() : 0;
    rows[b] = {offset, offset + e.ids.size(), e.prompt_tokens};
    for (size_t j = 0; j < e.ids.size(); ++j) {
      const size_t k = b * longest + offset + j;
      in->input_ids[k] = e.ids[j];
      in->attention_mask[k] = 1;
      if (token_types && j < e.type_ids.size()) in->token_type_ids[k] = e.type_ids[j];
    }
  }
  return rows;
}

Result<std::vector<std::vector<float>>> Embedder::Infer(const std::vector<const EncodedInput*>& batch,
                                                        const EmbedOptions& options) const {
  IMI_ASSIGN_OR_RETURN(std::vector<TextOutputs> outputs, InferOutputs(batch, options, kDenseOutput));
  std::vector<std::vector<float>> vectors;
  vectors.reserve(outputs.size());
  for (TextOutputs& o : outputs) vectors.push_back(std::move(o.dense));
  return vectors;
}

Result<std::vector<TextOutputs>> Embedder::InferOutputs(const std::vector<const EncodedInput*>& batch,
                                                        const EmbedOptions& options, OutputSet outputs) const {
  if (batch.empty()) return std::vector<TextOutputs>{};
  if (outputs == 0) return Status::InvalidArgument("no output asked for");
  if ((outputs & ~info_.outputs) != 0) {
    return Status::Unsupported("this model has no " + OutputSetName(outputs & ~info_.outputs) +
                               " output (it gives " + OutputSetName(info_.outputs) +
                               "; bge-m3's sparse and ColBERT outputs need sparse_linear.pt / colbert_linear.pt "
                               "beside it, or an ONNX export with those outputs)");
  }
  if (options.dimensions > info_.dimension && info_.dimension > 0) {
    return Status::InvalidArgument("dimensions " + std::to_string(options.dimensions) +
                                   " exceeds the model's embedding size " +
                                   std::to_string(info_.dimension));
  }
  SessionInputs in;
  IMI_ASSIGN_OR_RETURN(std::vector<RowSpan> rows, PadBatch(batch, pad_id_, feeds_token_types_, info_.pad_left, &in));
  const size_t longest = static_cast<size_t>(in.sequence);

  // Which graph outputs to fetch: the session's (hidden states or pooled)
  // output for dense and for the .pt heads; the export's own outputs else.
  const M3Plan& m3 = *m3_;
  const bool onnx_heads = m3.source == M3Source::kOnnxOutputs;
  std::vector<std::string> names;
  auto fetch = [&names](const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<size_t>(it - names.begin());
    names.push_back(name);
    return names.size() - 1;
  };
  const bool dense = (outputs & kDenseOutput) != 0;
  const size_t dense_at = dense ? fetch(onnx_heads && !m3.dense_output.empty() ? m3.dense_output
                                                                               : session_->output_name())
                                : 0;
  const bool sparse = (outputs & kSparseOutput) != 0;
  const bool colbert = (outputs & kColbertOutput) != 0;
  const size_t hidden_at = !onnx_heads && (sparse || colbert) ? fetch(session_->output_name()) : 0;
  const size_t sparse_at = onnx_heads && sparse ? fetch(m3.sparse_output) : 0;
  const size_t colbert_at = onnx_heads && colbert ? fetch(m3.colbert_output) : 0;
  IMI_ASSIGN_OR_RETURN(std::vector<SessionOutput> out, session_->RunOutputs(in, names));

  std::vector<TextOutputs> result(batch.size());
  if (dense) {
    const SessionOutput& d = out[dense_at];
    std::vector<std::vector<float>> vectors;
    if (d.shape.size() == 2 && d.shape[0] == in.batch) {
      const int64_t hidden = d.shape[1];
      for (size_t b = 0; b < batch.size(); ++b) {
        vectors.emplace_back(d.data.begin() + b * hidden, d.data.begin() + (b + 1) * hidden);
      }
    } else if (d.shape.size() == 3 && d.shape[0] == in.batch && d.shape[1] == in.sequence) {
      vectors = PoolRows(d.data.data(), d.shape[0], d.shape[1], d.shape[2], rows, info_.pooling);
    } else {
      return Status::Internal("model output has an unexpected shape");
    }
    for (size_t b = 0; b < batch.size(); ++b) {
      IMI_RETURN_IF_ERROR(FinishVector(&vectors[b], options.dimensions, info_.normalize));
      result[b].dense = std::move(vectors[b]);
    }
  }
  if (!onnx_heads && (sparse || colbert)) {
    const SessionOutput& h = out[hidden_at];
    if (h.shape.size() != 3 || h.shape[0] != in.batch || h.shape[1] != in.sequence) {
      return Status::Internal("the model's hidden states have an unexpected shape");
    }
    const size_t hidden = static_cast<size_t>(h.shape[2]);
    for (size_t b = 0; b < batch.size(); ++b) {
      const float* states = h.data.data() + (b * longest + rows[b].begin) * hidden;
      const size_t length = rows[b].end - rows[b].begin;
      if (sparse) {
        const std::vector<float> weights = m3.heads->TokenWeights(states, length);
        result[b].sparse = SparseFromTokenWeights(weights.data(), batch[b]->ids.data(), length, m3.unused_ids);
      }
      if (colbert) result[b].colbert = m3.heads->Colbert(states, length);
    }
  }
  if (onnx_heads && sparse) {
    // [batch, sequence, 1] or [batch, sequence]: one weight per token.
    const SessionOutput& w = out[sparse_at];
    const bool ok = w.shape.size() >= 2 && w.shape[0] == in.batch && w.shape[1] == in.sequence &&
                    (w.shape.size() == 2 || (w.shape.size() == 3 && w.shape[2] == 1));
    if (!ok) return Status::Internal("output " + m3.sparse_output + " is not [batch, sequence(, 1)]");
    for (size_t b = 0; b < batch.size(); ++b) {
      result[b].sparse = SparseFromTokenWeights(w.data.data() + b * longest + rows[b].begin, batch[b]->ids.data(),
                                                rows[b].end - rows[b].begin,
                                                m3.unused_ids);
    }
  }
  if (onnx_heads && colbert) {
    // [batch, sequence - 1, C] (the rows after CLS, as FlagEmbedding returns
    // them) or [batch, sequence, C] (row 0 is CLS and is skipped).
    const SessionOutput& c = out[colbert_at];
    const bool ok = c.shape.size() == 3 && c.shape[0] == in.batch &&
                    (c.shape[1] == in.sequence - 1 || c.shape[1] == in.sequence) && c.shape[2] > 0;
    if (!ok) return Status::Internal("output " + m3.colbert_output + " is not [batch, sequence - 1, dim]");
    const size_t dim = static_cast<size_t>(c.shape[2]);
    const size_t stride = static_cast<size_t>(c.shape[1]) * dim;
    const size_t skip = c.shape[1] == in.sequence ? 1 : 0;
    for (size_t b = 0; b < batch.size(); ++b) {
      // Left padding (lasttoken models) shifts the row; bge-m3 pads right.
      const size_t length = rows[b].end - rows[b].begin;
      const size_t kept = length > 0 ? length - 1 : 0;
      result[b].colbert = NormalizedRows(c.data.data() + b * stride + (rows[b].begin + skip) * dim, kept, dim);
    }
  }
  return result;
}

Result<EmbedResult> Embedder::Embed(const std::vector<std::string>& texts, const EmbedOptions& options,
                                    OutputSet outputs) const {
  std::vector<EncodedInput> encoded;
  encoded.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto e = Encode(texts[i], options);
    if (!e.ok()) {
      return texts.size() == 1 ? e.status() : e.status().WithContext("input " + std::to_string(i));
    }
    encoded.push_back(std::move(e).value());
  }
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return encoded[a].ids.size() < encoded[b].ids.size();
  });
  EmbedResult result;
  if (outputs & kDenseOutput) result.vectors.resize(texts.size());
  if (outputs & kSparseOutput) result.sparse.resize(texts.size());
  if (outputs & kColbertOutput) result.colbert.resize(texts.size());
  result.token_counts.resize(texts.size());
  result.truncated.resize(texts.size());
  size_t i = 0;
  while (i < order.size()) {
    // Sorted ascending, so the last input of a batch is its longest.
    size_t j = i + 1;
    while (j < order.size() && (j - i + 1) * encoded[order[j]].ids.size() <= max_batch_tokens_) ++j;
    std::vector<const EncodedInput*> batch;
    for (size_t k = i; k < j; ++k) batch.push_back(&encoded[order[k]]);
    IMI_ASSIGN_OR_RETURN(std::vector<TextOutputs> got, InferOutputs(batch, options, outputs));
    for (size_t k = i; k < j; ++k) {
      const size_t at = order[k];
      TextOutputs& o = got[k - i];
      if (outputs & kDenseOutput) result.vectors[at] = std::move(o.dense);
      if (outputs & kSparseOutput) result.sparse[at] = std::move(o.sparse);
      if (outputs & kColbertOutput) result.colbert[at] = std::move(o.colbert);
      result.token_counts[at] = encoded[at].token_count;
      result.truncated[at] = encoded[at].truncated;
    }
    i = j;
  }
  return result;
}

}  // namespace imi::model
