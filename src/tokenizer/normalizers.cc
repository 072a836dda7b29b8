// The normalizers of tokenizer.json, each following the reference's
// operation sequence so alignments (and so offsets) agree.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/byte_level_table.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/onig_regex.h"
#include "tokenizer/precompiled_charsmap.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {
namespace {

bool IsBertWhitespace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || unicode::IsWhitespace(c);
}

bool IsBertControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return unicode::IsOther(c);
}

bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase) {}

  Status Normalize(NormalizedString* s) const override {
    if (clean_text_) {
      s->Filter([](char32_t c) { return !(c == 0 || c == 0xFFFD || IsBertControl(c)); });
      bool any_space = false;
      const std::string& text = s->get();
      for (size_t pos = 0; pos < text.size();) {
        char32_t c = utf8::Decode(text, &pos);
        if (c != ' ' && IsBertWhitespace(c)) { any_space = true; break; }
      }
      if (any_space) s->Map([](char32_t c) { return IsBertWhitespace(c) ? U' ' : c; });
    }
    if (chinese_) {
      std::vector<CharChange> changes;
      const std::string& text = s->get();
      changes.reserve(text.size());
      bool any = false;
      for (size_t pos = 0; pos < text.size();) {
        char32_t c = utf8::Decode(text, &pos);
        if (IsChineseChar(c)) {
          changes.push_back({U' ', 0});
          changes.push_back({c, 1});
          changes.push_back({U' ', 1});
          any = true;
        } else {
          changes.push_back({c, 0});
        }
      }
      if (any) s->Transform(changes, 0);
    }
    if (strip_accents_) {
      s->Nfd();
      s->Filter([](char32_t c) { return !unicode::IsMarkNonspacing(c); });
    }
    if (lowercase_) s->Lowercase();
    return Status::Ok();
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    s->Lowercase();
    return Status::Ok();
  }
};

class StripAccentsNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    s->Filter([](char32_t c) { return !unicode::IsCombiningMark(c); });
    return Status::Ok();
  }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  Status Normalize(NormalizedString* s) const override {
    if (left_ && right_) {
      s->Strip(true, true);
    } else {
      if (left_) s->Strip(true, false);
      if (right_) s->Strip(false, true);
    }
    return Status::Ok();
  }

 private:
  bool left_, right_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  enum class Form { kNfc, kNfd, kNfkc, kNfkd };
  explicit UnicodeNormalizer(Form form) : form_(form) {}
  Status Normalize(NormalizedString* s) const override {
    switch (form_) {
      case Form::kNfc: s->Nfc(); break;
      case Form::kNfd: s->Nfd(); break;
      case Form::kNfkc: s->Nfkc(); break;
      case Form::kNfkd: s->Nfkd(); break;
    }
    return Status::Ok();
  }

 private:
  Form form_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend) : prepend_(std::move(prepend)) {}
  Status Normalize(NormalizedString* s) const override {
    if (!s->empty()) s->Prepend(prepend_);
    return Status::Ok();
  }

 private:
  std::string prepend_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<OnigRegex> regex, std::string literal, std::string content)
      : regex_(std::move(regex)), literal_(std::move(literal)), content_(std::move(content)) {}
  Status Normalize(NormalizedString* s) const override {
    // A literal pattern is searched directly: the same matches as the
    // escaped regex the reference compiles, without the regex engine.
    std::vector<PatternPiece> pieces =
        regex_ ? regex_->FindMatches(s->get()) : FindLiteralMatches(s->get(), literal_);
    s->Replace(pieces, content_);
    return Status::Ok();
  }

 private:
  std::unique_ptr<OnigRegex> regex_;
  std::string literal_;
  std::string content_;
};

class PrecompiledNormalizer final : public Normalizer {
 public:
  explicit PrecompiledNormalizer(PrecompiledCharsmap map) : map_(std::move(map)) {}
  Status Normalize(NormalizedString* s) const override {
    map_.Normalize(s);
    return Status::Ok();
  }

 private:
  PrecompiledCharsmap map_;
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* s) const override {
    const std::string& text = s->get();
    std::vector<CharChange> changes;
    changes.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      size_t start = pos;
      utf8::Decode(text, &pos);
      for (size_t i = start; i < pos; ++i) {
        changes.push_back({ByteToCodePoint(static_cast<uint8_t>(text[i])), i > start ? 1 : 0});
      }
    }
    s->Transform(changes, 0);
    return Status::Ok();
  }
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  Status Normalize(NormalizedString* s) const override {
    for (const auto& part : parts_) IMI_RETURN_IF_ERROR(part->Normalize(s));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

Result<std::unique_ptr<Normalizer>> MakeReplace(const nlohmann::json& j) {
  auto pattern = j.find("pattern");
  if (pattern == j.end() || !pattern->is_object()) {
    return Status::InvalidArgument("Replace needs a \"pattern\" object with \"String\" or \"Regex\"");
  }
  IMI_ASSIGN_OR_RETURN(std::string content, StringField(j, "content", ""));
  if (auto it = pattern->find("Regex"); it != pattern->end() && it->is_string()) {
    IMI_ASSIGN_OR_RETURN(auto regex, OnigRegex::Compile(it->get<std::string>()));
    return std::unique_ptr<Normalizer>(std::make_unique<ReplaceNormalizer>(std::move(regex), "", content));
  }
  if (auto it = pattern->find("String"); it != pattern->end() && it->is_string()) {
    std::string literal = it->get<std::string>();
    if (literal.empty()) {
      // The reference compiles the empty pattern as a regex too.
      IMI_ASSIGN_OR_RETURN(auto regex, OnigRegex::Compile(""));
      return std::unique_ptr<Normalizer>(std::make_unique<ReplaceNormalizer>(std::move(regex), "", content));
    }
    return std::unique_ptr<Normalizer>(std::make_unique<ReplaceNormalizer>(nullptr, literal, content));
  }
  return Status::InvalidArgument("Replace \"pattern\" must have a \"String\" or \"Regex\" string");
}

}  // namespace

Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a normalizer must be a JSON object");
  const std::string type = TypeOf(j);
  if (type == "BertNormalizer") {
    IMI_ASSIGN_OR_RETURN(bool clean, BoolField(j, "clean_text", true));
    IMI_ASSIGN_OR_RETURN(bool chinese, BoolField(j, "handle_chinese_chars", true));
    IMI_ASSIGN_OR_RETURN(bool lowercase, BoolField(j, "lowercase", true));
    IMI_ASSIGN_OR_RETURN(bool strip, BoolField(j, "strip_accents", lowercase));
    return std::unique_ptr<Normalizer>(std::make_unique<BertNormalizer>(clean, chinese, strip, lowercase));
  }
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(std::make_unique<LowercaseNormalizer>());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(std::make_unique<StripAccentsNormalizer>());
  if (type == "Strip") {
    IMI_ASSIGN_OR_RETURN(bool left, BoolField(j, "strip_left", true));
    IMI_ASSIGN_OR_RETURN(bool right, BoolField(j, "strip_right", true));
    return std::unique_ptr<Normalizer>(std::make_unique<StripNormalizer>(left, right));
  }
  using Form = UnicodeNormalizer::Form;
  if (type == "NFC") return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(Form::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(Form::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(Form::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(Form::kNfkd));
  if (type == "Prepend") {
    IMI_ASSIGN_OR_RETURN(std::string prepend, RequiredString(j, "prepend"));
    return std::unique_ptr<Normalizer>(std::make_unique<PrependNormalizer>(prepend));
  }
  if (type == "Replace") return MakeReplace(j);
  if (type == "Precompiled") {
    IMI_ASSIGN_OR_RETURN(std::string blob, RequiredString(j, "precompiled_charsmap"));
    IMI_ASSIGN_OR_RETURN(PrecompiledCharsmap map, PrecompiledCharsmap::FromBase64(blob));
    return std::unique_ptr<Normalizer>(std::make_unique<PrecompiledNormalizer>(std::move(map)));
  }
  if (type == "ByteLevel") return std::unique_ptr<Normalizer>(std::make_unique<ByteLevelNormalizer>());
  if (type == "Sequence") {
    auto it = j.find("normalizers");
    if (it == j.end() || !it->is_array()) {
      return Status::InvalidArgument("Sequence normalizer needs a \"normalizers\" array");
    }
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto& part : *it) {
      IMI_ASSIGN_OR_RETURN(auto n, NormalizerFromJson(part));
      parts.push_back(std::move(n));
    }
    return std::unique_ptr<Normalizer>(std::make_unique<SequenceNormalizer>(std::move(parts)));
  }
  if (type.empty()) return Status::InvalidArgument("normalizer object has no \"type\"");
  return Status::Unsupported("normalizer type \"" + type + "\" is not supported");
}

}  // namespace imi::tokenizer
