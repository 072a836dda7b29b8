// The pre-tokenizers of tokenizer.json, following the reference's split
// rules piece by piece.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/byte_level_table.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/onig_regex.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {

void PreTokenizedString::Split(
    const std::function<std::vector<NormalizedString>(NormalizedString&&)>& fn) {
  std::vector<PreTokenSplit> out;
  out.reserve(splits.size());
  for (PreTokenSplit& split : splits) {
    if (split.tokens) {
      out.push_back(std::move(split));
      continue;
    }
    for (NormalizedString& piece : fn(std::move(split.normalized))) {
      if (!piece.empty()) out.push_back({std::move(piece), std::nullopt});
    }
  }
  splits = std::move(out);
}

void PreTokenizedString::Normalize(const std::function<void(NormalizedString*)>& fn) {
  for (PreTokenSplit& split : splits) {
    if (!split.tokens) fn(&split.normalized);
  }
}

namespace {

bool IsBertPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  return unicode::IsPunctuation(c);
}

class BertPreTokenizer final : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([](NormalizedString&& n) {
      return n.Split(FindCharMatches(n.get(), unicode::IsWhitespace), SplitBehavior::kRemoved);
    });
    s->Split([](NormalizedString&& n) {
      return n.Split(FindCharMatches(n.get(), IsBertPunctuation), SplitBehavior::kIsolated);
    });
    return Status::Ok();
  }
};

class WhitespaceSplitPreTokenizer final : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([](NormalizedString&& n) {
      return n.Split(FindCharMatches(n.get(), unicode::IsWhitespace), SplitBehavior::kRemoved);
    });
    return Status::Ok();
  }
};

// Splits on a regex (or its inverse) with a delimiter behaviour; used by
// Whitespace, Split and ByteLevel.
class RegexSplitPreTokenizer final : public PreTokenizer {
 public:
  RegexSplitPreTokenizer(std::unique_ptr<OnigRegex> regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([this](NormalizedString&& n) {
      std::vector<PatternPiece> pieces = regex_->FindMatches(n.get());
      if (invert_) InvertPieces(&pieces);
      return n.Split(pieces, behavior_);
    });
    return Status::Ok();
  }

 private:
  std::unique_ptr<OnigRegex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

// The reference's Whitespace: keeps the matches of `\w+|[^\w\s]+` (a Rust
// `regex` pattern, so \w includes Join_Control) and drops the rest.
class WhitespacePreTokenizer final : public PreTokenizer {
 public:
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([](NormalizedString&& n) {
      return n.Split(FindWordRuns(n.get()), SplitBehavior::kRemoved);
    });
    return Status::Ok();
  }

 private:
  // Pieces with is_match = true for the gaps (whitespace), as Invert(regex).
  static std::vector<PatternPiece> FindWordRuns(std::string_view text) {
    std::vector<PatternPiece> pieces;
    if (text.empty()) {
      pieces.push_back({{0, 0}, true});
      return pieces;
    }
    enum class Kind { kWord, kSpace, kOther };
    auto kind_of = [](char32_t c) {
      if (unicode::IsWordChar(c)) return Kind::kWord;
      if (unicode::IsWhitespace(c)) return Kind::kSpace;
      return Kind::kOther;
    };
    size_t pos = 0;
    while (pos < text.size()) {
      size_t start = pos;
      Kind kind = kind_of(utf8::Decode(text, &pos));
      size_t end = pos;
      while (end < text.size()) {
        size_t next = end;
        if (kind_of(utf8::Decode(text, &next)) != kind) break;
        end = next;
      }
      pieces.push_back({{start, end}, kind == Kind::kSpace});
      pos = end;
    }
    return pieces;
  }
};

class LiteralSplitPreTokenizer final : public PreTokenizer {
 public:
  LiteralSplitPreTokenizer(std::string literal, SplitBehavior behavior, bool invert)
      : literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([this](NormalizedString&& n) {
      std::vector<PatternPiece> pieces = FindLiteralMatches(n.get(), literal_);
      if (invert_) InvertPieces(&pieces);
      return n.Split(pieces, behavior_);
    });
    return Status::Ok();
  }

 private:
  std::string literal_;
  SplitBehavior behavior_;
  bool invert_;
};

class CharPredicatePreTokenizer final : public PreTokenizer {
 public:
  CharPredicatePreTokenizer(std::function<bool(char32_t)> pred, SplitBehavior behavior)
      : pred_(std::move(pred)), behavior_(behavior) {}
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([this](NormalizedString&& n) {
      return n.Split(FindCharMatches(n.get(), pred_), behavior_);
    });
    return Status::Ok();
  }

 private:
  std::function<bool(char32_t)> pred_;
  SplitBehavior behavior_;
};

enum class PrependScheme { kFirst, kNever, kAlways };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {
    utf8::Append(&replacement_utf8_, replacement);
  }
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([this](NormalizedString&& n) {
      n.Replace(FindCharMatches(n.get(), [](char32_t c) { return c == U' '; }), replacement_utf8_);
      const bool starts = n.get().compare(0, replacement_utf8_.size(), replacement_utf8_) == 0;
      if (scheme_ == PrependScheme::kAlways && !starts) {
        n.Prepend(replacement_utf8_);
      } else if (scheme_ == PrependScheme::kFirst && !starts && n.OffsetsOriginal().first == 0) {
        n.Prepend(replacement_utf8_);
      }
      if (split_) {
        const char32_t r = replacement_;
        return n.Split(FindCharMatches(n.get(), [r](char32_t c) { return c == r; }),
                       SplitBehavior::kMergedWithNext);
      }
      std::vector<NormalizedString> one;
      one.push_back(std::move(n));
      return one;
    });
    return Status::Ok();
  }

 private:
  char32_t replacement_;
  std::string replacement_utf8_;
  PrependScheme scheme_;
  bool split_;
};

constexpr char kByteLevelPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<OnigRegex> regex)
      : add_prefix_space_(add_prefix_space), regex_(std::move(regex)) {}
  Status PreTokenize(PreTokenizedString* s) const override {
    s->Split([this](NormalizedString&& n) {
      if (add_prefix_space_ && (n.get().empty() || n.get()[0] != ' ')) n.Prepend(" ");
      if (regex_) return n.Split(regex_->FindMatches(n.get()), SplitBehavior::kIsolated);
      std::vector<NormalizedString> one;
      one.push_back(std::move(n));
      return one;
    });
    s->Normalize([](NormalizedString* n) {
      const std::string& text = n->get();
      std::vector<CharChange> changes;
      changes.reserve(text.size());
      for (size_t pos = 0; pos < text.size();) {
        size_t start = pos;
        utf8::Decode(text, &pos);
        for (size_t i = start; i < pos; ++i) {
          changes.push_back({ByteToCodePoint(static_cast<uint8_t>(text[i])), i > start ? 1 : 0});
        }
      }
      n->Transform(changes, 0);
    });
    return Status::Ok();
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<OnigRegex> regex_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  Status PreTokenize(PreTokenizedString* s) const override {
    for (const auto& part : parts_) IMI_RETURN_IF_ERROR(part->PreTokenize(s));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Result<SplitBehavior> BehaviorField(const nlohmann::json& j, std::string_view fallback) {
  IMI_ASSIGN_OR_RETURN(std::string name, StringField(j, "behavior", fallback));
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return Status::InvalidArgument("unknown split behavior \"" + name + "\"");
}

Result<std::unique_ptr<PreTokenizer>> MakeMetaspace(const nlohmann::json& j) {
  IMI_ASSIGN_OR_RETURN(std::string replacement, StringField(j, "replacement", "\xE2\x96\x81"));
  if (replacement.empty() || utf8::FindInvalid(replacement) != std::string::npos ||
      utf8::CountCodePoints(replacement) != 1) {
    return Status::InvalidArgument("Metaspace \"replacement\" must be exactly one character");
  }
  size_t pos = 0;
  char32_t r = utf8::Decode(replacement, &pos);
  IMI_ASSIGN_OR_RETURN(std::string scheme_name, StringField(j, "prepend_scheme", "always"));
  PrependScheme scheme;
  if (scheme_name == "always") {
    scheme = PrependScheme::kAlways;
  } else if (scheme_name == "first") {
    scheme = PrependScheme::kFirst;
  } else if (scheme_name == "never") {
    scheme = PrependScheme::kNever;
  } else {
    return Status::InvalidArgument("unknown Metaspace prepend_scheme \"" + scheme_name + "\"");
  }
  auto aps = j.find("add_prefix_space");
  if (aps != j.end() && aps->is_boolean() && !aps->get<bool>()) {
    // Legacy files: add_prefix_space false means never prepend.
    if (scheme != PrependScheme::kNever && j.contains("prepend_scheme")) {
      return Status::InvalidArgument("Metaspace add_prefix_space does not match prepend_scheme");
    }
    scheme = PrependScheme::kNever;
  }
  IMI_ASSIGN_OR_RETURN(bool split, BoolField(j, "split", true));
  return std::unique_ptr<PreTokenizer>(std::make_unique<MetaspacePreTokenizer>(r, scheme, split));
}

Result<std::unique_ptr<PreTokenizer>> MakeSplit(const nlohmann::json& j) {
  IMI_ASSIGN_OR_RETURN(SplitBehavior behavior, BehaviorField(j, "Removed"));
  IMI_ASSIGN_OR_RETURN(bool invert, BoolField(j, "invert", false));
  auto pattern = j.find("pattern");
  if (pattern == j.end() || !pattern->is_object()) {
    return Status::InvalidArgument("Split needs a \"pattern\" object with \"String\" or \"Regex\"");
  }
  if (auto it = pattern->find("Regex"); it != pattern->end() && it->is_string()) {
    IMI_ASSIGN_OR_RETURN(auto regex, OnigRegex::Compile(it->get<std::string>()));
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<RegexSplitPreTokenizer>(std::move(regex), behavior, invert));
  }
  if (auto it = pattern->find("String"); it != pattern->end() && it->is_string()) {
    std::string literal = it->get<std::string>();
    if (literal.empty()) {
      IMI_ASSIGN_OR_RETURN(auto regex, OnigRegex::Compile(""));
      return std::unique_ptr<PreTokenizer>(
          std::make_unique<RegexSplitPreTokenizer>(std::move(regex), behavior, invert));
    }
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<LiteralSplitPreTokenizer>(literal, behavior, invert));
  }
  return Status::InvalidArgument("Split \"pattern\" must have a \"String\" or \"Regex\" string");
}

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizerFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a pre_tokenizer must be a JSON object");
  const std::string type = TypeOf(j);
  if (type == "BertPreTokenizer") {
    return std::unique_ptr<PreTokenizer>(std::make_unique<BertPreTokenizer>());
  }
  if (type == "WhitespaceSplit") {
    return std::unique_ptr<PreTokenizer>(std::make_unique<WhitespaceSplitPreTokenizer>());
  }
  if (type == "Whitespace") return std::unique_ptr<PreTokenizer>(std::make_unique<WhitespacePreTokenizer>());
  if (type == "Metaspace") return MakeMetaspace(j);
  if (type == "ByteLevel") {
    IMI_ASSIGN_OR_RETURN(bool add_prefix_space, BoolField(j, "add_prefix_space", true));
    IMI_ASSIGN_OR_RETURN(bool use_regex, BoolField(j, "use_regex", true));
    std::unique_ptr<OnigRegex> regex;
    if (use_regex) {
      IMI_ASSIGN_OR_RETURN(regex, OnigRegex::Compile(kByteLevelPattern));
    }
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, std::move(regex)));
  }
  if (type == "Split") return MakeSplit(j);
  if (type == "Punctuation") {
    IMI_ASSIGN_OR_RETURN(SplitBehavior behavior, BehaviorField(j, "Isolated"));
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<CharPredicatePreTokenizer>(IsBertPunctuation, behavior));
  }
  if (type == "Digits") {
    IMI_ASSIGN_OR_RETURN(bool individual, BoolField(j, "individual_digits", false));
    return std::unique_ptr<PreTokenizer>(std::make_unique<CharPredicatePreTokenizer>(
        unicode::IsNumeric, individual ? SplitBehavior::kIsolated : SplitBehavior::kContiguous));
  }
  if (type == "CharDelimiterSplit") {
    IMI_ASSIGN_OR_RETURN(std::string delimiter, RequiredString(j, "delimiter"));
    if (delimiter.empty() || utf8::FindInvalid(delimiter) != std::string::npos ||
        utf8::CountCodePoints(delimiter) != 1) {
      return Status::InvalidArgument("CharDelimiterSplit \"delimiter\" must be one character");
    }
    size_t pos = 0;
    char32_t d = utf8::Decode(delimiter, &pos);
    return std::unique_ptr<PreTokenizer>(std::make_unique<CharPredicatePreTokenizer>(
        [d](char32_t c) { return c == d; }, SplitBehavior::kRemoved));
  }
  if (type == "Sequence") {
    auto it = j.find("pretokenizers");
    if (it == j.end() || !it->is_array()) {
      return Status::InvalidArgument("Sequence pre_tokenizer needs a \"pretokenizers\" array");
    }
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& part : *it) {
      IMI_ASSIGN_OR_RETURN(auto p, PreTokenizerFromJson(part));
      parts.push_back(std::move(p));
    }
    return std::unique_ptr<PreTokenizer>(std::make_unique<SequencePreTokenizer>(std::move(parts)));
  }
  if (type.empty()) return Status::InvalidArgument("pre_tokenizer object has no \"type\"");
  return Status::Unsupported("pre_tokenizer type \"" + type + "\" is not supported");
}

}  // namespace imi::tokenizer
