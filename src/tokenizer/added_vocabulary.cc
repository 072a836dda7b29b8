#include "tokenizer/added_vocabulary.h"

#include <algorithm>
#include <utility>

#include "base/utf8.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {

void LiteralMatcher::Add(std::string_view pattern, int32_t value) {
  if (pattern.empty()) return;
  uint32_t node = 0;
  for (char ch : pattern) {
    auto b = static_cast<uint8_t>(ch);
    auto& children = nodes_[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), b,
                               [](const auto& child, uint8_t key) { return child.first < key; });
    if (it != children.end() && it->first == b) {
      node = it->second;
    } else {
      auto next = static_cast<uint32_t>(nodes_.size());
      children.insert(it, {b, next});
      nodes_.emplace_back();
      node = next;
    }
  }
  nodes_[node].value = value;
  first_byte_[static_cast<uint8_t>(pattern[0])] = true;
}

std::vector<LiteralMatcher::Match> LiteralMatcher::FindAll(std::string_view text) const {
  std::vector<Match> out;
  if (empty()) return out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    uint32_t node = 0;
    size_t best_end = 0;
    int32_t best_value = -1;
    for (size_t i = pos; i < text.size(); ++i) {
      auto b = static_cast<uint8_t>(text[i]);
      const auto& children = nodes_[node].children;
      auto it = std::lower_bound(children.begin(), children.end(), b,
                                 [](const auto& child, uint8_t key) { return child.first < key; });
      if (it == children.end() || it->first != b) break;
      node = it->second;
      if (nodes_[node].value >= 0) {
        best_end = i + 1;
        best_value = nodes_[node].value;
      }
    }
    if (best_value >= 0) {
      out.push_back({pos, best_end, best_value});
      pos = best_end;
    } else {
      ++pos;
    }
  }
  return out;
}

namespace {

// Last character of `s` is a regex \w.
bool EndsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t b = s.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  size_t pos = b;
  return unicode::IsWordChar(utf8::Decode(s, &pos));
}

bool StartsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t pos = 0;
  return unicode::IsWordChar(utf8::Decode(s, &pos));
}

// Byte offset where the trailing whitespace run of `s` starts.
size_t TrailingSpaceStart(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t b = end - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
    size_t pos = b;
    if (!unicode::IsWhitespace(utf8::Decode(s, &pos))) break;
    end = b;
  }
  return end;
}

// Byte length of the leading whitespace run of `s`.
size_t LeadingSpaceEnd(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    if (!unicode::IsWhitespace(utf8::Decode(s, &next))) break;
    pos = next;
  }
  return pos;
}

}  // namespace

Status AddedVocabulary::Add(const std::vector<AddedToken>& tokens, const Model& model,
                            const Normalizer* normalizer) {
  const auto vocab_size = static_cast<int32_t>(model.VocabSize());
  int32_t next_id = vocab_size;
  if (std::optional<int32_t> max = MaxId()) {
    next_id = (*max >= vocab_size || vocab_size == 0) ? *max + 1 : vocab_size;
  }
  for (const AddedToken& token : tokens) {
    if (token.content.empty()) continue;
    if (auto it = by_content_.find(token.content); it != by_content_.end()) {
      const AddedToken& existing = by_id_[it->second];
      if (existing.single_word == token.single_word && existing.lstrip == token.lstrip &&
          existing.rstrip == token.rstrip && existing.normalized == token.normalized &&
          existing.special == token.special) {
        continue;
      }
    }
    int32_t id;
    if (auto it = by_content_.find(token.content); it != by_content_.end()) {
      id = it->second;
    } else if (std::optional<int32_t> model_id = model.TokenToId(token.content)) {
      id = *model_id;
    } else {
      id = next_id++;
    }
    if (token.normalized && normalizer != nullptr) {
      NormalizedString s(token.content);
      IMI_RETURN_IF_ERROR(normalizer->Normalize(&s));
      if (s.get() != token.content) normalized_form_[id] = s.get();
    }
    by_content_[token.content] = id;
    if (token.special) special_.insert(token.content);
    by_id_[id] = token;
  }
  raw_matcher_ = LiteralMatcher();
  normalized_matcher_ = LiteralMatcher();
  for (const auto& [id, token] : by_id_) {
    if (token.normalized) {
      auto it = normalized_form_.find(id);
      normalized_matcher_.Add(it != normalized_form_.end() ? it->second : token.content, id);
    } else {
      raw_matcher_.Add(token.content, id);
    }
  }
  return Status::Ok();
}

std::optional<int32_t> AddedVocabulary::MaxId() const {
  std::optional<int32_t> max;
  for (const auto& [id, token] : by_id_) {
    if (!max || id > *max) max = id;
  }
  return max;
}

size_t AddedVocabulary::CountIdsFrom(int32_t first) const {
  size_t n = 0;
  for (const auto& entry : by_id_) n += entry.first >= first ? 1 : 0;
  return n;
}

std::optional<int32_t> AddedVocabulary::TokenToId(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> AddedVocabulary::IdToToken(int32_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  if (auto n = normalized_form_.find(id); n != normalized_form_.end()) return n->second;
  return it->second.content;
}

void AddedVocabulary::SplitWithMatcher(NormalizedString&& s, const LiteralMatcher& matcher,
                                       std::vector<PreTokenSplit>* out) const {
  const std::string& sentence = s.get();
  if (matcher.empty() || sentence.empty()) {
    if (!s.empty()) out->push_back({std::move(s), std::nullopt});
    return;
  }
  // (id or -1, byte range) pieces, as the reference's find_matches.
  std::vector<std::pair<int32_t, ByteRange>> pieces;
  size_t start_offset = 0;
  for (const LiteralMatcher::Match& m : matcher.FindAll(sentence)) {
    size_t start = m.start;
    size_t stop = m.end;
    const AddedToken& token = by_id_.at(m.value);
    if (token.single_word) {
      bool start_space = start == 0 || !EndsWithWord(std::string_view(sentence).substr(0, start));
      bool stop_space =
          stop == sentence.size() || !StartsWithWord(std::string_view(sentence).substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (token.lstrip) {
      start = std::max(TrailingSpaceStart(std::string_view(sentence).substr(0, start)), start_offset);
    }
    if (token.rstrip) stop += LeadingSpaceEnd(std::string_view(sentence).substr(stop));
    if (start_offset < start) pieces.push_back({-1, {start_offset, start}});
    pieces.push_back({m.value, {start, stop}});
    start_offset = stop;
  }
  if (pieces.empty()) {
    out->push_back({std::move(s), std::nullopt});
    return;
  }
  if (start_offset != sentence.size()) pieces.push_back({-1, {start_offset, sentence.size()}});
  for (const auto& [id, range] : pieces) {
    NormalizedString slice = s.Slice(range.first, range.second);
    if (slice.empty()) continue;
    if (id >= 0) {
      std::vector<Token> tokens(1);
      tokens[0].id = id;
      tokens[0].value = slice.get();
      tokens[0].start = 0;
      tokens[0].end = slice.size();
      out->push_back({std::move(slice), std::move(tokens)});
    } else {
      out->push_back({std::move(slice), std::nullopt});
    }
  }
}

Result<PreTokenizedString> AddedVocabulary::ExtractAndNormalize(const Normalizer* normalizer,
                                                                std::string_view text) const {
  PreTokenizedString out;
  std::vector<PreTokenSplit> first;
  SplitWithMatcher(NormalizedString(text), raw_matcher_, &first);
  for (PreTokenSplit& split : first) {
    if (split.tokens) {
      out.splits.push_back(std::move(split));
      continue;
    }
    if (normalizer != nullptr) IMI_RETURN_IF_ERROR(normalizer->Normalize(&split.normalized));
    SplitWithMatcher(std::move(split.normalized), normalized_matcher_, &out.splits);
  }
  return out;
}

}  // namespace imi::tokenizer
