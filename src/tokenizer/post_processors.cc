// Post-processors of tokenizer.json with the reference's semantics.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "tokenizer/encoding_ops.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {

void TrimByteLevelOffsets(Encoding* e, bool add_prefix_space) {
  auto is_space = [](char32_t c) { return c == 0x120 || unicode::IsWhitespace(c); };
  std::vector<char32_t> chars;
  for (size_t i = 0; i < e->tokens.size() && i < e->offsets.size(); ++i) {
    const std::string& token = e->tokens[i];
    chars.clear();
    for (size_t pos = 0; pos < token.size();) chars.push_back(utf8::Decode(token, &pos));
    size_t leading = 0;
    while (leading < chars.size() && is_space(chars[leading])) ++leading;
    size_t trailing = 0;
    while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
    auto& offsets = e->offsets[i];
    if (leading > 0) {
      bool is_first = i == 0 || offsets.first == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      offsets.first = std::min(offsets.first + leading, offsets.second);
    }
    if (trailing > 0 && offsets.second >= trailing) {
      offsets.second = std::max(offsets.second - trailing, offsets.first);
    }
  }
}

namespace {

void TrimAll(std::vector<Encoding>* encodings, bool add_prefix_space) {
  for (Encoding& e : *encodings) {
    TrimByteLevelOffsets(&e, add_prefix_space);
    for (Encoding& o : e.overflowing) TrimByteLevelOffsets(&o, add_prefix_space);
  }
}

// Wraps `e` (and each overflowing window) as [first] e [last] with the
// given type ids; the reference's Bert/Roberta processing.
void Wrap(Encoding* e, const std::pair<std::string, int32_t>& first,
          const std::pair<std::string, int32_t>& last, int32_t first_type, int32_t body_type,
          int32_t last_type, bool keep_body_types) {
  auto wrap_one = [&](Encoding* x) {
    std::vector<int32_t> body_types = x->type_ids;
    if (!keep_body_types) body_types.assign(x->ids.size(), body_type);
    x->ids.insert(x->ids.begin(), first.second);
    x->ids.push_back(last.second);
    body_types.insert(body_types.begin(), first_type);
    body_types.push_back(last_type);
    x->type_ids = std::move(body_types);
    x->tokens.insert(x->tokens.begin(), first.first);
    x->tokens.push_back(last.first);
    x->offsets.insert(x->offsets.begin(), {0, 0});
    x->offsets.push_back({0, 0});
    x->special_tokens_mask.assign(x->ids.size(), 0);
    x->special_tokens_mask.front() = 1;
    x->special_tokens_mask.back() = 1;
    x->attention_mask.assign(x->ids.size(), 1);
  };
  wrap_one(e);
  for (Encoding& o : e->overflowing) {
    wrap_one(&o);
    o.overflowing.clear();
  }
}

class BertProcessing final : public PostProcessor {
 public:
  BertProcessing(std::pair<std::string, int32_t> sep, std::pair<std::string, int32_t> cls)
      : sep_(std::move(sep)), cls_(std::move(cls)) {}
  size_t AddedTokens(bool pair) const override { return pair ? 3 : 2; }
  Status ProcessEncodings(std::vector<Encoding>* encodings, bool add_special_tokens) const override {
    if (!add_special_tokens) return Status::Ok();
    for (size_t i = 0; i < encodings->size(); ++i) {
      Encoding& e = (*encodings)[i];
      if (i == 0) {
        Wrap(&e, cls_, sep_, 0, 0, 0, true);
      } else {
        // [SEP]-terminated second sequence with type id 1 throughout.
        auto wrap_pair = [&](Encoding* x) {
          x->ids.push_back(sep_.second);
          x->type_ids.assign(x->ids.size(), 1);
          x->tokens.push_back(sep_.first);
          x->offsets.push_back({0, 0});
          x->special_tokens_mask.assign(x->ids.size(), 0);
          x->special_tokens_mask.back() = 1;
          x->attention_mask.assign(x->ids.size(), 1);
        };
        wrap_pair(&e);
        for (Encoding& o : e.overflowing) {
          wrap_pair(&o);
          o.overflowing.clear();
        }
      }
    }
    return Status::Ok();
  }

 private:
  std::pair<std::string, int32_t> sep_, cls_;
};

class RobertaProcessing final : public PostProcessor {
 public:
  RobertaProcessing(std::pair<std::string, int32_t> sep, std::pair<std::string, int32_t> cls,
                    bool trim_offsets, bool add_prefix_space)
      : sep_(std::move(sep)), cls_(std::move(cls)), trim_offsets_(trim_offsets),
        add_prefix_space_(add_prefix_space) {}
  size_t AddedTokens(bool pair) const override { return pair ? 4 : 2; }
  Status ProcessEncodings(std::vector<Encoding>* encodings, bool add_special_tokens) const override {
    if (trim_offsets_) TrimAll(encodings, add_prefix_space_);
    for (Encoding& e : *encodings) e.type_ids.assign(e.ids.size(), 0);
    if (!add_special_tokens) return Status::Ok();
    for (size_t i = 0; i < encodings->size(); ++i) {
      Wrap(&(*encodings)[i], i == 0 ? cls_ : sep_, sep_, 0, 0, 0, false);
    }
    return Status::Ok();
  }

 private:
  std::pair<std::string, int32_t> sep_, cls_;
  bool trim_offsets_;
  bool add_prefix_space_;
};

class ByteLevelProcessing final : public PostProcessor {
 public:
  ByteLevelProcessing(bool trim_offsets, bool add_prefix_space)
      : trim_offsets_(trim_offsets), add_prefix_space_(add_prefix_space) {}
  size_t AddedTokens(bool) const override { return 0; }
  Status ProcessEncodings(std::vector<Encoding>* encodings, bool) const override {
    if (trim_offsets_) TrimAll(encodings, add_prefix_space_);
    return Status::Ok();
  }

 private:
  bool trim_offsets_;
  bool add_prefix_space_;
};

struct TemplatePiece {
  bool is_sequence = false;
  size_t sequence = 0;  // 0 = A, 1 = B
  std::string special;
  int32_t type_id = 0;
};

struct SpecialTokenEntry {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

class TemplateProcessing final : public PostProcessor {
 public:
  TemplateProcessing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair,
                     std::map<std::string, SpecialTokenEntry> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

  size_t AddedTokens(bool pair) const override {
    size_t n = 0;
    for (const TemplatePiece& p : pair ? pair_ : single_) {
      if (!p.is_sequence) n += specials_.at(p.special).ids.size();
    }
    return n;
  }

  Status ProcessEncodings(std::vector<Encoding>* encodings, bool add_special_tokens) const override {
    const std::vector<TemplatePiece>& pieces = encodings->size() == 2 ? pair_ : single_;
    std::vector<Encoding> out;
    for (const TemplatePiece& p : pieces) {
      if (p.is_sequence) {
        if (p.sequence >= encodings->size()) continue;
        Encoding& e = (*encodings)[p.sequence];
        e.type_ids.assign(e.ids.size(), p.type_id);
        out.push_back(e);
      } else if (add_special_tokens) {
        const SpecialTokenEntry& s = specials_.at(p.special);
        Encoding e;
        e.ids = s.ids;
        e.tokens = s.tokens;
        e.type_ids.assign(s.ids.size(), p.type_id);
        e.offsets.assign(s.ids.size(), {0, 0});
        e.special_tokens_mask.assign(s.ids.size(), 1);
        e.attention_mask.assign(s.ids.size(), 1);
        out.push_back(std::move(e));
      }
    }
    *encodings = std::move(out);
    return Status::Ok();
  }

 private:
  std::vector<TemplatePiece> single_, pair_;
  std::map<std::string, SpecialTokenEntry> specials_;
};

class SequenceProcessing final : public PostProcessor {
 public:
  explicit SequenceProcessing(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  size_t AddedTokens(bool pair) const override {
    size_t n = 0;
    for (const auto& p : parts_) n += p->AddedTokens(pair);
    return n;
  }
  Status ProcessEncodings(std::vector<Encoding>* encodings, bool add_special_tokens) const override {
    for (const auto& p : parts_) IMI_RETURN_IF_ERROR(p->ProcessEncodings(encodings, add_special_tokens));
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

Result<std::pair<std::string, int32_t>> TokenPair(const nlohmann::json& j, std::string_view key,
                                                  std::pair<std::string, int32_t> fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_array() || it->size() != 2 || !(*it)[0].is_string() || !(*it)[1].is_number_integer()) {
    return Status::InvalidArgument("field \"" + std::string(key) + "\" must be [token, id]");
  }
  return std::pair<std::string, int32_t>{(*it)[0].get<std::string>(), (*it)[1].get<int32_t>()};
}

// Parses one template piece: {"Sequence": {...}} / {"SpecialToken": {...}}
// objects, or the "$A", "$B:1", "[CLS]", "[SEP]:1" string shorthands.
Result<TemplatePiece> ParsePiece(const nlohmann::json& j) {
  TemplatePiece p;
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    std::string name = s;
    if (size_t colon = s.rfind(':'); colon != std::string::npos && colon > 0) {
      std::string type = s.substr(colon + 1);
      if (!type.empty() && type.find_first_not_of("0123456789") == std::string::npos) {
        p.type_id = std::stoi(type);
        name = s.substr(0, colon);
      }
    }
    if (!name.empty() && name[0] == '$') {
      std::string seq = name.substr(1);
      p.is_sequence = true;
      if (seq.empty() || seq == "A" || seq == "a") {
        p.sequence = 0;
      } else if (seq == "B" || seq == "b") {
        p.sequence = 1;
      } else if (seq.find_first_not_of("0123456789") == std::string::npos) {
        p.sequence = 0;
        p.type_id = std::stoi(seq);
      } else {
        return Status::InvalidArgument("bad template piece \"" + s + "\"");
      }
      if (seq == "B" || seq == "b") p.sequence = 1;
    } else {
      p.special = name;
    }
    return p;
  }
  if (j.is_object()) {
    if (auto it = j.find("Sequence"); it != j.end() && it->is_object()) {
      IMI_ASSIGN_OR_RETURN(std::string id, RequiredString(*it, "id"));
      p.is_sequence = true;
      p.sequence = id == "B" ? 1 : 0;
      p.type_id = it->value("type_id", 0);
      return p;
    }
    if (auto it = j.find("SpecialToken"); it != j.end() && it->is_object()) {
      IMI_ASSIGN_OR_RETURN(p.special, RequiredString(*it, "id"));
      p.type_id = it->value("type_id", 0);
      return p;
    }
  }
  return Status::InvalidArgument("bad TemplateProcessing piece: " + j.dump());
}

Result<std::vector<TemplatePiece>> ParseTemplate(const nlohmann::json& j) {
  std::vector<TemplatePiece> out;
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find(' ', pos);
      if (end == std::string::npos) end = s.size();
      if (end > pos) {
        IMI_ASSIGN_OR_RETURN(TemplatePiece p, ParsePiece(nlohmann::json(s.substr(pos, end - pos))));
        out.push_back(std::move(p));
      }
      pos = end + 1;
    }
    return out;
  }
  if (!j.is_array()) return Status::InvalidArgument("a template must be an array or a string");
  for (const auto& piece : j) {
    IMI_ASSIGN_OR_RETURN(TemplatePiece p, ParsePiece(piece));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::unique_ptr<PostProcessor>> MakeTemplate(const nlohmann::json& j) {
  std::map<std::string, SpecialTokenEntry> specials;
  if (auto it = j.find("special_tokens"); it != j.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      SpecialTokenEntry entry;
      auto ids = value.find("ids");
      auto tokens = value.find("tokens");
      if (ids == value.end() || tokens == value.end() || !ids->is_array() || !tokens->is_array() ||
          ids->size() != tokens->size()) {
        return Status::InvalidArgument("TemplateProcessing special token \"" + key +
                                       "\" needs \"ids\" and \"tokens\" of equal length");
      }
      for (const auto& id : *ids) {
        if (!id.is_number_integer()) return Status::InvalidArgument("special token ids must be integers");
        entry.ids.push_back(id.get<int32_t>());
      }
      for (const auto& t : *tokens) {
        if (!t.is_string()) return Status::InvalidArgument("special token tokens must be strings");
        entry.tokens.push_back(t.get<std::string>());
      }
      specials[key] = std::move(entry);
    }
  }
  auto single_it = j.find("single");
  auto pair_it = j.find("pair");
  if (single_it == j.end() || pair_it == j.end()) {
    return Status::InvalidArgument("TemplateProcessing needs \"single\" and \"pair\"");
  }
  IMI_ASSIGN_OR_RETURN(auto single, ParseTemplate(*single_it));
  IMI_ASSIGN_OR_RETURN(auto pair, ParseTemplate(*pair_it));
  for (const auto* t : {&single, &pair}) {
    for (const TemplatePiece& p : *t) {
      if (!p.is_sequence && specials.count(p.special) == 0) {
        return Status::InvalidArgument("TemplateProcessing: missing special token \"" + p.special + "\"");
      }
    }
  }
  return std::unique_ptr<PostProcessor>(
      std::make_unique<TemplateProcessing>(std::move(single), std::move(pair), std::move(specials)));
}

}  // namespace

Result<Encoding> PostProcess(const PostProcessor* processor, Encoding encoding,
                             std::optional<Encoding> pair, bool add_special_tokens) {
  std::vector<Encoding> encodings;
  encodings.push_back(std::move(encoding));
  if (pair) encodings.push_back(std::move(*pair));
  if (processor != nullptr) {
    IMI_RETURN_IF_ERROR(processor->ProcessEncodings(&encodings, add_special_tokens));
  }
  if (encodings.size() == 1 && processor == nullptr) return std::move(encodings[0]);
  Encoding merged;
  for (Encoding& e : encodings) MergeEncodings(&merged, std::move(e), false);
  return merged;
}

Result<std::unique_ptr<PostProcessor>> PostProcessorFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a post_processor must be a JSON object");
  const std::string type = TypeOf(j);
  if (type == "TemplateProcessing") return MakeTemplate(j);
  if (type == "BertProcessing") {
    IMI_ASSIGN_OR_RETURN(auto sep, TokenPair(j, "sep", {"[SEP]", 102}));
    IMI_ASSIGN_OR_RETURN(auto cls, TokenPair(j, "cls", {"[CLS]", 101}));
    return std::unique_ptr<PostProcessor>(std::make_unique<BertProcessing>(sep, cls));
  }
  if (type == "RobertaProcessing") {
    IMI_ASSIGN_OR_RETURN(auto sep, TokenPair(j, "sep", {"</s>", 2}));
    IMI_ASSIGN_OR_RETURN(auto cls, TokenPair(j, "cls", {"<s>", 0}));
    IMI_ASSIGN_OR_RETURN(bool trim, BoolField(j, "trim_offsets", true));
    IMI_ASSIGN_OR_RETURN(bool aps, BoolField(j, "add_prefix_space", true));
    return std::unique_ptr<PostProcessor>(std::make_unique<RobertaProcessing>(sep, cls, trim, aps));
  }
  if (type == "ByteLevel") {
    IMI_ASSIGN_OR_RETURN(bool trim, BoolField(j, "trim_offsets", true));
    IMI_ASSIGN_OR_RETURN(bool aps, BoolField(j, "add_prefix_space", true));
    return std::unique_ptr<PostProcessor>(std::make_unique<ByteLevelProcessing>(trim, aps));
  }
  if (type == "Sequence") {
    auto it = j.find("processors");
    if (it == j.end() || !it->is_array()) {
      return Status::InvalidArgument("Sequence post_processor needs a \"processors\" array");
    }
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (const auto& part : *it) {
      IMI_ASSIGN_OR_RETURN(auto p, PostProcessorFromJson(part));
      parts.push_back(std::move(p));
    }
    return std::unique_ptr<PostProcessor>(std::make_unique<SequenceProcessing>(std::move(parts)));
  }
  if (type.empty()) return Status::InvalidArgument("post_processor object has no \"type\"");
  return Status::Unsupported("post_processor type \"" + type + "\" is not supported");
}

}  // namespace imi::tokenizer
