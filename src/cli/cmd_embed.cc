// imi embed: text lines (or JSON objects with "text") in, one sentence
// vector per input out, as JSON lines, raw float32 or .npy.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/json_scan.h"
#include "base/utf8.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/line_io.h"
#include "model/cpu_features.h"
#include "model/embedder.h"
#include "text/normalize.h"

namespace imi::cli {
namespace {

constexpr size_t kChunkLines = 1024;
// Lines are embedded in chunks of at most kChunkLines lines or this many
// bytes, so memory follows the chunk, not the input.
constexpr size_t kChunkBytes = 16 * 1024 * 1024;
// The nesting limit of JSON input, as for HTTP bodies and .jsonl documents.
constexpr size_t kMaxJsonDepth = 32;

struct EmbedFlags {
  std::string model;
  std::string tokenizer;
  std::string variant = "auto";
  std::string pooling;
  bool normalize = false;
  bool no_normalize = false;
  size_t dimensions = 0;
  std::string prompt_name;
  std::optional<std::string> prompt;
  bool normalize_text = false;
  bool jsonl = false;
  std::string format = "jsonl";
  int threads = 0;
  size_t max_length = 0;
  std::string output = "dense";  // dense, sparse, colbert, all (model/m3.h)
  std::string onnx_output;
  size_t max_batch_tokens = 1024;
  std::string ort_cache = "off";
  bool no_truncate = false;
  size_t batch_size = 0;
  size_t max_line_bytes = 16 * 1024 * 1024;
};

// Embeds in input order, `batch_size` inputs per ONNX run (for benchmarks
// that compare with pipelines batching that way).
Result<model::EmbedResult> EmbedInOrder(const model::Embedder& embedder, const std::vector<std::string>& texts,
                                        const model::EmbedOptions& options, size_t batch_size) {
  model::EmbedResult result;
  for (size_t i = 0; i < texts.size(); i += batch_size) {
    std::vector<model::EncodedInput> encoded;
    for (size_t k = i; k < std::min(texts.size(), i + batch_size); ++k) {
      IMI_ASSIGN_OR_RETURN(auto e, embedder.Encode(texts[k], options));
      encoded.push_back(std::move(e));
    }
    std::vector<const model::EncodedInput*> batch;
    for (const auto& e : encoded) {
      batch.push_back(&e);
      result.token_counts.push_back(e.token_count);
      result.truncated.push_back(e.truncated);
    }
    IMI_ASSIGN_OR_RETURN(auto vectors, embedder.Infer(batch, options));
    for (auto& v : vectors) result.vectors.push_back(std::move(v));
  }
  return result;
}

void AppendFloat(std::string* out, float x) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  out->append(buf, r.ptr);
}

// Turns one input line into the text to embed.
Result<std::string> TextOfLine(std::string_view line, const EmbedFlags& flags) {
  const size_t bad = utf8::FindInvalid(line);
  if (bad != std::string::npos) {
    return Status::InvalidArgument("input is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  std::string text;
  if (flags.jsonl) {
    if (const size_t at = FindJsonNestingDeeperThan(line, kMaxJsonDepth); at != std::string_view::npos) {
      return Status::InvalidArgument("the JSON nests arrays/objects deeper than " + std::to_string(kMaxJsonDepth) +
                                     " levels (at byte " + std::to_string(at) + ")");
    }
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      return Status::InvalidArgument("expected a JSON object with a string \"text\"");
    }
    text = j["text"].get<std::string>();
  } else {
    text = StripCarriageReturn(line);
  }
  if (flags.normalize_text) text = text::Normalize(text);
  return text;
}

void WriteNpyHeader(size_t rows, size_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) +
                     ", " + std::to_string(cols) + "), }";
  // Magic (6) + version (2) + length (2) + dict + '\n' padded to 64 bytes.
  const size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  const unsigned char len[2] = {static_cast<unsigned char>(dict.size() & 0xff),
                                static_cast<unsigned char>(dict.size() >> 8)};
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, stdout);
  std::fwrite(len, 1, 2, stdout);
  std::fwrite(dict.data(), 1, dict.size(), stdout);
}

void AppendFloats(std::string* out, const float* v, size_t n) {
  *out += '[';
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) *out += ',';
    AppendFloat(out, v[i]);
  }
  *out += ']';
}

// One JSON line with the outputs asked for: "embedding" (dense), "sparse"
// ({"indices","values"}: token ids and weights) and "colbert" (token vectors).
std::string JsonLine(const model::EmbedResult& result, size_t i, model::OutputSet outputs) {
  std::string out = "{";
  if (outputs & model::kDenseOutput) {
    out += "\"embedding\":";
    AppendFloats(&out, result.vectors[i].data(), result.vectors[i].size());
  }
  if (outputs & model::kSparseOutput) {
    const model::SparseEmbedding& sp = result.sparse[i];
    if (out.size() > 1) out += ',';
    out += "\"sparse\":{\"indices\":[";
    for (size_t k = 0; k < sp.ids.size(); ++k) out += (k > 0 ? "," : "") + std::to_string(sp.ids[k]);
    out += "],\"values\":";
    AppendFloats(&out, sp.weights.data(), sp.weights.size());
    out += '}';
  }
  if (outputs & model::kColbertOutput) {
    const model::MultiVector& mv = result.colbert[i];
    if (out.size() > 1) out += ',';
    out += "\"colbert\":[";
    for (size_t r = 0; r < mv.rows(); ++r) {
      if (r > 0) out += ',';
      AppendFloats(&out, mv.row(r), mv.dim);
    }
    out += ']';
  }
  return out + "}\n";
}

Status RunEmbed(const EmbedFlags& flags) {
  if (flags.format != "jsonl" && flags.format != "f32" && flags.format != "npy") {
    return Status::InvalidArgument("--format must be jsonl, f32 or npy");
  }
  auto parsed_outputs = model::ParseOutputSet(flags.output);
  if (!parsed_outputs.ok()) {
    return Status::InvalidArgument("--output: " + parsed_outputs.status().message() +
                                   " (an ONNX output name goes to --onnx-output)");
  }
  const model::OutputSet outputs = *parsed_outputs;
  if (flags.format != "jsonl" && outputs != model::kDenseOutput) {
    return Status::InvalidArgument("--format " + flags.format +
                                   " writes dense vectors only; sparse and colbert outputs need --format jsonl");
  }
  if (flags.normalize && flags.no_normalize) {
    return Status::InvalidArgument("--normalize and --no-normalize contradict each other");
  }
  model::EmbedderConfig config;
  config.model_path = flags.model;
  config.tokenizer_path = flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(config.variant, model::ParseVariantRequest(flags.variant));
  config.threads = flags.threads;
  config.output_name = flags.onnx_output;
  if (!flags.pooling.empty()) {
    IMI_ASSIGN_OR_RETURN(config.pooling, model::ParsePoolingMode(flags.pooling));
  }
  if (flags.normalize) config.normalize = true;
  if (flags.no_normalize) config.normalize = false;
  if (flags.max_length > 0) config.max_seq_length = flags.max_length;
  config.max_batch_tokens = flags.max_batch_tokens;
  config.ort_cache = flags.ort_cache;
  IMI_ASSIGN_OR_RETURN(auto embedder, model::Embedder::Load(config));
  const model::ModelInfo& info = embedder->info();
  std::fprintf(stderr, "imi embed: variant %s (%s)\n", info.variant_file.c_str(), info.variant_reason.c_str());
  std::fprintf(stderr, "imi embed: %s, dimension %zu, pooling %s, normalize %s, max_seq_length %zu, threads %d\n",
               info.id.c_str(), info.dimension, std::string(model::PoolingModeName(info.pooling)).c_str(),
               info.normalize ? "on" : "off", info.max_seq_length, info.threads);
  if (!info.heads.empty()) {
    std::fprintf(stderr, "imi embed: bge-m3 outputs %s from %s\n", model::OutputSetName(info.outputs).c_str(),
                 info.heads.c_str());
  }
  if ((outputs & ~info.outputs) != 0) {
    return Status::Unsupported("--output " + flags.output + ": " + info.id + " has no " +
                               model::OutputSetName(outputs & ~info.outputs) +
                               " output (bge-m3's need sparse_linear.pt / colbert_linear.pt beside the model, or an "
                               "ONNX export with dense_vecs/sparse_vecs/colbert_vecs; see docs/models.md)");
  }

  model::EmbedOptions options;
  if (!flags.prompt_name.empty()) options.prompt_name = flags.prompt_name;
  options.prompt = flags.prompt;
  options.dimensions = flags.dimensions;
  options.truncate = !flags.no_truncate;

  std::vector<std::vector<float>> all;  // only for npy (its header needs the count)
  size_t truncated = 0, dim = 0, inputs = 0, tokens = 0;
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> input, LineReader::Open("-"));
  input->set_max_line_bytes(flags.max_line_bytes);
  const auto start = std::chrono::steady_clock::now();
  std::string_view line;
  bool eof = false;
  while (!eof) {
    std::vector<std::string> texts;
    size_t chunk_bytes = 0;
    const size_t first_line = input->line_number() + 1;
    while (texts.size() < kChunkLines && chunk_bytes < kChunkBytes) {
      IMI_ASSIGN_OR_RETURN(const bool more, input->Next(&line));
      if (!more) {
        eof = true;
        break;
      }
      if (flags.jsonl && line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto text = TextOfLine(line, flags);
      if (!text.ok()) return text.status().WithContext("input line " + std::to_string(input->line_number()));
      chunk_bytes += text->size();
      texts.push_back(std::move(text).value());
    }
    if (texts.empty()) continue;
    auto result = flags.batch_size > 0 && outputs == model::kDenseOutput
                      ? EmbedInOrder(*embedder, texts, options, flags.batch_size)
                      : embedder->Embed(texts, options, outputs);
    if (!result.ok()) {
      return result.status().WithContext("input lines " + std::to_string(first_line) + "-" +
                                         std::to_string(input->line_number()));
    }
    for (bool t : result->truncated) truncated += t ? 1 : 0;
    for (size_t c : result->token_counts) tokens += c;
    inputs += texts.size();
    if (outputs != model::kDenseOutput) {
      for (size_t i = 0; i < texts.size(); ++i) {
        const std::string out = JsonLine(*result, i, outputs);
        std::fwrite(out.data(), 1, out.size(), stdout);
      }
      std::fflush(stdout);
      continue;
    }
    for (auto& v : result->vectors) {
      dim = v.size();
      if (flags.format == "jsonl") {
        std::string out = "{\"embedding\":[";
        for (size_t i = 0; i < v.size(); ++i) {
          if (i > 0) out += ',';
          AppendFloat(&out, v[i]);
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
      } else if (flags.format == "f32") {
        std::fwrite(v.data(), sizeof(float), v.size(), stdout);
      } else {
        all.push_back(std::move(v));
      }
    }
    // A chunk's vectors are out before more input is read (as when input came
    // through std::cin, tied to stdout), so an error line follows them.
    std::fflush(stdout);
  }
  if (flags.format == "npy") {
    WriteNpyHeader(all.size(), all.empty() ? info.dimension : dim);
    for (const auto& v : all) std::fwrite(v.data(), sizeof(float), v.size(), stdout);
  }
  std::fflush(stdout);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "imi embed: %zu inputs, %zu tokens, load %.0f ms, embedding %.3f s (%.1f inputs/s, %.0f tokens/s)\n",
               inputs, tokens, info.load_ms, seconds, seconds > 0 ? inputs / seconds : 0.0,
               seconds > 0 ? tokens / seconds : 0.0);
  if (truncated > 0) {
    std::fprintf(stderr, "imi embed: %zu input(s) truncated to %zu tokens\n", truncated, info.max_seq_length);
  }
  return Status::Ok();
}

}  // namespace

void AddEmbedCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<EmbedFlags>();
  auto* cmd = app.add_subcommand(
      "embed",
      "Embed text from stdin: one line (or, with --jsonl, one JSON object with \"text\") per input;\n"
      "one {\"embedding\":[...]} line per input on stdout (or raw float32 / .npy with --format);\n"
      "bge-m3's sparse weights and ColBERT vectors with --output sparse|colbert|all.");
  cmd->add_option("--model", flags->model, "Model directory (sentence-transformers layout) or an .onnx file")
      ->required();
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json (or its directory) for a bare .onnx model");
  cmd->add_option("--variant", flags->variant,
                  "auto (best INT8 for this CPU, else FP32), fp32, int8, or an ONNX file name (default auto)");
  cmd->add_option("--pooling", flags->pooling,
                  "Override the model's pooling: mean, cls, max, lasttoken, mean_sqrt_len");
  cmd->add_flag("--normalize", flags->normalize, "L2-normalise vectors (default: as the model's Normalize module)");
  cmd->add_flag("--no-normalize", flags->no_normalize, "Do not L2-normalise vectors");
  cmd->add_option("--dimensions", flags->dimensions,
                  "Matryoshka: keep the first N components (renormalised when normalising)");
  cmd->add_option("--prompt-name", flags->prompt_name, "Prepend the model's named prompt (e.g. query)");
  cmd->add_option("--prompt", flags->prompt, "Prepend this literal prompt text (e.g. \"query: \")");
  cmd->add_flag("--normalize-text", flags->normalize_text,
                "Run imi's Japanese normaliser (neologdn-compatible) on each input first. Off by default,\n"
                "so vectors equal sentence-transformers' for the same text");
  cmd->add_flag("--jsonl", flags->jsonl, "Input lines are JSON objects with a \"text\" field");
  cmd->add_option("--format", flags->format, "Output: jsonl (default), f32 (raw little-endian float32), npy");
  cmd->add_option("--threads", flags->threads, "ONNX Runtime intra-op threads (default: all cores)");
  cmd->add_option("--max-length", flags->max_length,
                  "Truncate inputs to N tokens (default: the model's max_seq_length; up to its position limit)");
  cmd->add_option("--output", flags->output,
                  "What to write: dense (default: {\"embedding\"}), sparse ({\"sparse\":{\"indices\",\"values\"}}, "
                  "bge-m3's lexical weights), colbert ({\"colbert\":[[...]]}, its token vectors), all, or a list "
                  "such as dense,sparse");
  cmd->add_option("--onnx-output", flags->onnx_output,
                  "ONNX output holding the embeddings (default: last_hidden_state, token_embeddings, "
                  "sentence_embedding, dense_vecs)");
  cmd->add_option("--max-batch-tokens", flags->max_batch_tokens, "Padded tokens per ONNX run (default 1024)");
  cmd->add_option("--ort-cache", flags->ort_cache,
                  "Cache of the optimised graph and the (binary) tokenizer: off (default), auto (use an existing "
                  "one), write (use one or create it beside the model, else IMI_CACHE_DIR or ~/.cache/imi/ort) or a "
                  "directory; see docs/deploy.md (Cold start)");
  cmd->add_option("--batch-size", flags->batch_size,
                  "Inputs per ONNX run in input order (default: length-sorted batches by --max-batch-tokens)");
  cmd->add_flag("--no-truncate", flags->no_truncate, "Fail on inputs longer than the max length instead");
  cmd->add_option("--max-line-bytes", flags->max_line_bytes,
                  "Longest input line; a longer one stops with an error naming it (default 16777216 = 16 MiB, 0 = none)");
  cmd->callback([flags, exit_code] {
    const Status s = RunEmbed(*flags);
    *exit_code = s.ok() ? 0 : ReportError("embed", s);
  });
}

}  // namespace imi::cli
