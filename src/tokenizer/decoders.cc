// The decoders of Hugging Face `tokenizers` (decode_chain semantics of
// 0.22.2) and DecoderFromJson.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/byte_level_table.h"
#include "tokenizer/decoder.h"
#include "tokenizer/decoder_text.h"

namespace imi::tokenizer {
namespace {

// Replaces every occurrence of `from` (non-empty) in *s by `to`.
void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty() || s->find(from) == std::string::npos) return;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s->find(from, pos);
    if (hit == std::string::npos) break;
    out.append(*s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(*s, pos, std::string::npos);
  *s = std::move(out);
}

// The reference's WordPiece cleanup of tokenization spaces.
void Cleanup(std::string* s) {
  ReplaceAll(s, " .", ".");
  ReplaceAll(s, " ?", "?");
  ReplaceAll(s, " !", "!");
  ReplaceAll(s, " ,", ",");
  ReplaceAll(s, " ' ", "'");
  ReplaceAll(s, " n't", "n't");
  ReplaceAll(s, " 'm", "'m");
  ReplaceAll(s, " do not", " don't");
  ReplaceAll(s, " 's", "'s");
  ReplaceAll(s, " 've", "'ve");
  ReplaceAll(s, " 're", "'re");
}

std::vector<char32_t> ToCodePoints(std::string_view s) {
  std::vector<char32_t> cps;
  size_t pos = 0;
  while (pos < s.size()) cps.push_back(utf8::Decode(s, &pos));
  return cps;
}

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token = std::string(" ") + token;
        }
      }
      if (cleanup_) Cleanup(&token);
    }
    return tokens;
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool prepend) : prepend_(prepend) {
    utf8::Append(&replacement_, replacement);
  }
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      // Every replacement char of the first token is dropped when a prefix
      // space was prepended; elsewhere it becomes a space.
      ReplaceAll(&tokens[i], replacement_, (i == 0 && prepend_) ? "" : " ");
    }
    return tokens;
  }

 private:
  std::string replacement_;
  bool prepend_;
};

class ByteLevelDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t before = bytes.size();
      size_t pos = 0;
      bool all_mapped = true;
      while (pos < token.size()) {
        auto byte = CodePointToByte(utf8::Decode(token, &pos));
        if (!byte) {
          all_mapped = false;
          break;
        }
        bytes.push_back(static_cast<char>(*byte));
      }
      if (!all_mapped) {  // the reference keeps such a token's own bytes
        bytes.resize(before);
        bytes.append(token);
      }
    }
    return {Utf8Lossy(bytes)};
  }
};

class ByteFallbackDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (utf8::FindInvalid(pending) == std::string::npos) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
    };
    for (std::string& token : tokens) {
      if (auto byte = ParseByteToken(token)) {
        pending.push_back(static_cast<char>(*byte));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    return out;
  }
};

class FuseDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::string joined;
    for (const std::string& t : tokens) joined += t;
    return {joined};
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) {
      std::vector<char32_t> cps = ToCodePoints(token);
      size_t start_cut = 0;
      for (size_t i = 0; i < cps.size() && i < start_; ++i) {
        if (cps[i] != content_) break;
        start_cut = i + 1;
      }
      size_t stop_cut = cps.size();
      for (size_t i = 0; i < stop_ && i < cps.size(); ++i) {
        const size_t index = cps.size() - i - 1;
        if (cps[index] != content_) break;
        stop_cut = index;
      }
      std::string out;
      for (size_t i = start_cut; i < stop_cut; ++i) utf8::Append(&out, cps[i]);
      token = std::move(out);
    }
    return tokens;
  }

 private:
  char32_t content_;
  size_t start_;
  size_t stop_;
};

class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      ReplaceAll(&tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }
    return tokens;
  }

 private:
  std::string suffix_;
};

class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;  // consecutive duplicates
      std::string token = tokens[i];
      ReplaceAll(&token, pad_, "");
      if (cleanup_) {
        Cleanup(&token);
        ReplaceAll(&token, delimiter_, " ");
      }
      if (!token.empty()) out.push_back(std::move(token));
    }
    return out;
  }

 private:
  std::string pad_;
  std::string delimiter_;
  bool cleanup_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<TextPattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (std::string& token : tokens) token = pattern_->ReplaceAll(token, content_);
    return tokens;
  }

 private:
  std::unique_ptr<TextPattern> pattern_;
  std::string content_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> decoders)
      : decoders_(std::move(decoders)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens) const override {
    for (const auto& d : decoders_) tokens = d->DecodeChain(std::move(tokens));
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> decoders_;
};

// ---- JSON ----

Result<std::string> StringOr(const nlohmann::json& d, const char* key, std::string fallback) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::InvalidArgument(std::string("decoder \"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<bool> BoolOr(const nlohmann::json& d, const char* key, bool fallback) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Status::InvalidArgument(std::string("decoder \"") + key + "\" must be true or false");
  return it->get<bool>();
}

Result<size_t> SizeOr(const nlohmann::json& d, const char* key, size_t fallback) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned()) {
    return Status::InvalidArgument(std::string("decoder \"") + key + "\" must be a non-negative integer");
  }
  return it->get<size_t>();
}

// A JSON string holding exactly one character (serde's `char`).
Result<char32_t> CharField(const nlohmann::json& d, const char* key, char32_t fallback) {
  IMI_ASSIGN_OR_RETURN(std::string s, StringOr(d, key, std::string()));
  if (s.empty() && !d.contains(key)) return fallback;
  size_t pos = 0;
  char32_t cp = s.empty() ? utf8::kInvalid : utf8::Decode(s, &pos);
  if (cp == utf8::kInvalid || pos != s.size()) {
    return Status::InvalidArgument(std::string("decoder \"") + key + "\" must be a single character");
  }
  return cp;
}

Result<std::unique_ptr<Decoder>> MetaspaceFromJson(const nlohmann::json& d) {
  IMI_ASSIGN_OR_RETURN(char32_t replacement, CharField(d, "replacement", U'\u2581'));
  IMI_ASSIGN_OR_RETURN(std::string scheme, StringOr(d, "prepend_scheme", "always"));
  if (scheme != "always" && scheme != "first" && scheme != "never") {
    return Status::InvalidArgument("Metaspace decoder: prepend_scheme must be first, always or never");
  }
  auto add_prefix_space = d.find("add_prefix_space");
  if (add_prefix_space != d.end() && add_prefix_space->is_boolean() && !add_prefix_space->get<bool>()) {
    // Legacy flag: false must agree with (or imply) prepend_scheme "never".
    if (scheme != "never") {
      return Status::InvalidArgument(
          "Metaspace decoder: add_prefix_space does not match declared prepend_scheme");
    }
  }
  return std::unique_ptr<Decoder>(std::make_unique<MetaspaceDecoder>(replacement, scheme != "never"));
}

Result<std::unique_ptr<Decoder>> ReplaceFromJson(const nlohmann::json& d) {
  auto pattern = d.find("pattern");
  if (pattern == d.end() || !pattern->is_object() || pattern->size() != 1) {
    return Status::InvalidArgument(
        "Replace decoder: \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
  }
  IMI_ASSIGN_OR_RETURN(std::string content, StringOr(d, "content", std::string()));
  const std::string kind = pattern->begin().key();
  const nlohmann::json& value = pattern->begin().value();
  if (!value.is_string()) return Status::InvalidArgument("Replace decoder: pattern must be a string");
  std::unique_ptr<TextPattern> compiled;
  if (kind == "String") {
    compiled = LiteralPattern(value.get<std::string>());
  } else if (kind == "Regex") {
    IMI_ASSIGN_OR_RETURN(compiled, RegexPattern(value.get<std::string>()));
  } else {
    return Status::InvalidArgument("Replace decoder: unknown pattern kind \"" + kind + "\"");
  }
  return std::unique_ptr<Decoder>(std::make_unique<ReplaceDecoder>(std::move(compiled), content));
}

}  // namespace

Result<std::unique_ptr<Decoder>> DecoderFromJson(const nlohmann::json& d) {
  if (!d.is_object()) return Status::InvalidArgument("\"decoder\" must be an object");
  auto type_it = d.find("type");
  if (type_it == d.end() || !type_it->is_string()) {
    return Status::InvalidArgument("\"decoder\" needs a string \"type\"");
  }
  const std::string type = type_it->get<std::string>();
  if (type == "WordPiece") {
    IMI_ASSIGN_OR_RETURN(std::string prefix, StringOr(d, "prefix", "##"));
    IMI_ASSIGN_OR_RETURN(bool cleanup, BoolOr(d, "cleanup", true));
    return std::unique_ptr<Decoder>(std::make_unique<WordPieceDecoder>(prefix, cleanup));
  }
  if (type == "Metaspace") return MetaspaceFromJson(d);
  if (type == "ByteLevel") return std::unique_ptr<Decoder>(std::make_unique<ByteLevelDecoder>());
  if (type == "ByteFallback") return std::unique_ptr<Decoder>(std::make_unique<ByteFallbackDecoder>());
  if (type == "Fuse") return std::unique_ptr<Decoder>(std::make_unique<FuseDecoder>());
  if (type == "Strip") {
    IMI_ASSIGN_OR_RETURN(char32_t content, CharField(d, "content", U' '));
    IMI_ASSIGN_OR_RETURN(size_t start, SizeOr(d, "start", 0));
    IMI_ASSIGN_OR_RETURN(size_t stop, SizeOr(d, "stop", 0));
    return std::unique_ptr<Decoder>(std::make_unique<StripDecoder>(content, start, stop));
  }
  if (type == "Replace") return ReplaceFromJson(d);
  if (type == "BPEDecoder") {
    IMI_ASSIGN_OR_RETURN(std::string suffix, StringOr(d, "suffix", "</w>"));
    return std::unique_ptr<Decoder>(std::make_unique<BpeSuffixDecoder>(suffix));
  }
  if (type == "CTC") {
    IMI_ASSIGN_OR_RETURN(std::string pad, StringOr(d, "pad_token", "<pad>"));
    IMI_ASSIGN_OR_RETURN(std::string delimiter, StringOr(d, "word_delimiter_token", "|"));
    IMI_ASSIGN_OR_RETURN(bool cleanup, BoolOr(d, "cleanup", true));
    return std::unique_ptr<Decoder>(std::make_unique<CtcDecoder>(pad, delimiter, cleanup));
  }
  if (type == "Sequence") {
    auto list = d.find("decoders");
    if (list == d.end() || !list->is_array()) {
      return Status::InvalidArgument("Sequence decoder: \"decoders\" must be a list");
    }
    std::vector<std::unique_ptr<Decoder>> decoders;
    for (const auto& item : *list) {
      IMI_ASSIGN_OR_RETURN(auto decoder, DecoderFromJson(item));
      decoders.push_back(std::move(decoder));
    }
    return std::unique_ptr<Decoder>(std::make_unique<SequenceDecoder>(std::move(decoders)));
  }
  return Status::Unsupported("decoder type \"" + type +
                             "\" is not supported (supported: WordPiece, Metaspace, ByteLevel, "
                             "ByteFallback, Fuse, Strip, Replace, BPEDecoder, CTC, Sequence)");
}

}  // namespace imi::tokenizer
