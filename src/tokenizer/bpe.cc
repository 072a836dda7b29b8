#include "tokenizer/bpe.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

namespace imi::tokenizer {
namespace {

constexpr std::string_view kWhat = "BPE model";

size_t CharLen(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Reads "merges": either ["a b", ...] (lines starting "#version" skipped) or
// [["a", "b"], ...], as the reference's untagged MergeType.
Status ReadMerges(const nlohmann::json& merges,
                  std::vector<std::pair<std::string, std::string>>* out) {
  if (!merges.is_array()) {
    return Status::InvalidArgument(std::string(kWhat) + ": \"merges\" must be a list");
  }
  bool all_pairs = true;
  for (const auto& m : merges) {
    if (!(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())) {
      all_pairs = false;
      break;
    }
  }
  out->reserve(merges.size());
  if (all_pairs) {
    for (const auto& m : merges) out->emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    return Status::Ok();
  }
  for (const auto& m : merges) {
    if (!m.is_string()) {
      return Status::InvalidArgument(std::string(kWhat) +
                                     ": \"merges\" must be all \"a b\" strings or all [a, b] pairs");
    }
    const std::string& line = m.get_ref<const std::string&>();
    if (line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
      return Status::InvalidArgument(std::string(kWhat) + ": merge " +
                                     std::to_string(out->size() + 1) + " (\"" + line +
                                     "\") is not two tokens separated by one space");
    }
    out->emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  return Status::Ok();
}

std::string ByteToken(uint8_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", byte);
  return buf;
}

// Uniform [0, 1) per thread, for merge dropout.
float RandomUnit() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return std::uniform_real_distribution<float>(0.0f, 1.0f)(engine);
}

}  // namespace

Result<std::unique_ptr<BpeModel>> BpeModel::FromJson(const nlohmann::json& model) {
  auto result = std::make_unique<BpeModel>();
  if (!model.contains("vocab") || !model.contains("merges")) {
    return Status::InvalidArgument(std::string(kWhat) + ": missing \"vocab\" or \"merges\"");
  }
  IMI_RETURN_IF_ERROR(ReadVocabObject(model["vocab"], kWhat, &result->vocab_));
  result->vocab_r_.Build(result->vocab_);

  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null()) {
    if (!dropout->is_number()) {
      return Status::InvalidArgument(std::string(kWhat) + ": \"dropout\" must be a number");
    }
    const auto p = dropout->get<float>();
    if (!(p >= 0.0f && p <= 1.0f)) {
      return Status::InvalidArgument(std::string(kWhat) + ": \"dropout\" must be within [0, 1]");
    }
    result->dropout_ = p;
  }
  IMI_ASSIGN_OR_RETURN(result->unk_token_, OptionalStringField(model, "unk_token", kWhat));
  IMI_ASSIGN_OR_RETURN(result->prefix_, OptionalStringField(model, "continuing_subword_prefix", kWhat));
  IMI_ASSIGN_OR_RETURN(result->suffix_, OptionalStringField(model, "end_of_word_suffix", kWhat));
  IMI_ASSIGN_OR_RETURN(result->fuse_unk_, BoolField(model, "fuse_unk", false, kWhat));
  IMI_ASSIGN_OR_RETURN(result->byte_fallback_, BoolField(model, "byte_fallback", false, kWhat));
  IMI_ASSIGN_OR_RETURN(result->ignore_merges_, BoolField(model, "ignore_merges", false, kWhat));

  std::vector<std::pair<std::string, std::string>> merges;
  IMI_RETURN_IF_ERROR(ReadMerges(model["merges"], &merges));
  const size_t prefix_len = result->prefix_ ? result->prefix_->size() : 0;
  result->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto a_id = FindId(result->vocab_, a);
    auto b_id = FindId(result->vocab_, b);
    if (!a_id || !b_id) {
      return Status::InvalidArgument(std::string(kWhat) + ": merge token \"" + (a_id ? b : a) +
                                     "\" is not in the vocabulary");
    }
    // The merged token drops the right side's first prefix_len bytes, as the
    // reference does whether or not they spell the prefix.
    if (b.size() < prefix_len) {
      return Status::InvalidArgument(std::string(kWhat) + ": merge token \"" + b +
                                     "\" is shorter than continuing_subword_prefix");
    }
    const std::string merged = a + b.substr(prefix_len);
    auto new_id = FindId(result->vocab_, merged);
    if (!new_id) {
      return Status::InvalidArgument(std::string(kWhat) + ": merged token \"" + merged +
                                     "\" is not in the vocabulary");
    }
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(*a_id)) << 32) |
                         static_cast<uint32_t>(*b_id);
    result->merges_[key] = MergeTarget{static_cast<int32_t>(rank), *new_id};
  }
  return result;
}

Status BpeModel::SplitIntoSymbols(std::string_view word, std::vector<Piece>* pieces) const {
  pieces->clear();
  std::optional<Piece> unk;
  std::string buffer;
  size_t i = 0;
  while (i < word.size()) {
    const size_t len = std::min(CharLen(static_cast<unsigned char>(word[i])), word.size() - i);
    const bool is_first = i == 0;
    const bool is_last = i + len == word.size();
    std::string_view s = word.substr(i, len);
    if ((!is_first && prefix_) || (is_last && suffix_)) {
      buffer.clear();
      if (!is_first && prefix_) buffer.append(*prefix_);
      buffer.append(s);
      if (is_last && suffix_) buffer.append(*suffix_);
      s = buffer;
    }
    i += len;

    if (auto id = FindId(vocab_, s)) {
      if (unk) {
        pieces->push_back(*unk);
        unk.reset();
      }
      pieces->push_back(Piece{*id, static_cast<uint32_t>(len)});
      continue;
    }
    if (byte_fallback_) {
      // Every byte of the (prefixed/suffixed) symbol must exist as <0xXX>.
      const size_t before = pieces->size();
      bool all_found = true;
      for (unsigned char c : s) {
        auto byte_id = FindId(vocab_, ByteToken(c));
        if (!byte_id) {
          all_found = false;
          break;
        }
        pieces->push_back(Piece{*byte_id, 1});
      }
      if (all_found) continue;  // a pending unk stays pending, as in the reference
      pieces->resize(before);
    }
    if (!unk_token_) continue;  // no unk token: the reference drops the character
    if (unk && fuse_unk_) {
      unk->len += static_cast<uint32_t>(len);
      continue;
    }
    if (unk) pieces->push_back(*unk);
    auto unk_id = FindId(vocab_, *unk_token_);
    if (!unk_id) {
      return Status::InvalidArgument("BPE: unk token \"" + *unk_token_ +
                                     "\" is not in the vocabulary");
    }
    unk = Piece{*unk_id, static_cast<uint32_t>(len)};
  }
  if (unk) pieces->push_back(*unk);
  return Status::Ok();
}

void BpeModel::MergeAll(std::vector<Piece>* pieces) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    uint32_t len;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
  };
  // Lowest rank first, then leftmost position.
  struct Later {
    bool operator()(const Candidate& a, const Candidate& b) const {
      return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    }
  };
  const auto n = static_cast<int32_t>(pieces->size());
  if (n < 2) return;
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> skipped;
  symbols.clear();
  for (int32_t i = 0; i < n; ++i) {
    symbols.push_back(Symbol{(*pieces)[i].id, i - 1, i + 1 < n ? i + 1 : -1, (*pieces)[i].len});
  }
  thread_local std::vector<Candidate> queue;
  queue.clear();
  skipped.clear();
  const Later later;
  auto push = [&](const Candidate& c) {
    queue.push_back(c);
    std::push_heap(queue.begin(), queue.end(), later);
  };
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (const MergeTarget* m = FindMerge(symbols[i].id, symbols[i + 1].id)) {
      push(Candidate{m->rank, i, m->new_id});
    }
  }
  const bool use_dropout = dropout_.has_value() && *dropout_ > 0.0f;
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), later);
    const Candidate top = queue.back();
    queue.pop_back();
    if (use_dropout && RandomUnit() < *dropout_) {
      skipped.push_back(top);
      continue;
    }
    for (const Candidate& c : skipped) push(c);
    skipped.clear();

    Symbol& current = symbols[top.pos];
    if (current.len == 0 || current.next == -1) continue;
    const int32_t next_pos = current.next;
    const Symbol right = symbols[next_pos];
    const MergeTarget* target = FindMerge(current.id, right.id);
    if (target == nullptr || target->new_id != top.new_id) continue;

    current.id = top.new_id;
    current.len += right.len;
    current.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next >= 0 && right.next < n) symbols[right.next].prev = top.pos;

    if (current.prev >= 0) {
      if (const MergeTarget* m = FindMerge(symbols[current.prev].id, current.id)) {
        push(Candidate{m->rank, current.prev, m->new_id});
      }
    }
    if (current.next >= 0 && current.next < n) {
      if (const MergeTarget* m = FindMerge(current.id, symbols[current.next].id)) {
        push(Candidate{m->rank, top.pos, m->new_id});
      }
    }
  }
  pieces->clear();
  for (const Symbol& s : symbols) {
    if (s.len != 0) pieces->push_back(Piece{s.id, s.len});
  }
}

Status BpeModel::AppendTokens(const std::vector<Piece>& pieces, std::vector<Token>* out) const {
  size_t pos = 0;
  for (const Piece& p : pieces) {
    const std::string* value = vocab_r_.Find(p.id);
    if (value == nullptr) return Status::Internal("BPE: id without a vocabulary entry");
    out->push_back(Token{p.id, *value, pos, pos + p.len});
    pos += p.len;
  }
  return Status::Ok();
}

Status BpeModel::Tokenize(std::string_view word, std::vector<Token>* out) const {
  if (word.empty()) return Status::Ok();
  const bool deterministic = !dropout_.has_value() || *dropout_ == 0.0f;
  if (deterministic) {
    if (ignore_merges_) {
      if (auto id = FindId(vocab_, word)) {
        out->push_back(Token{*id, std::string(word), 0, word.size()});
        return Status::Ok();
      }
    }
  }
  thread_local std::vector<Piece> pieces;
  if (deterministic && cache_.Get(word, &pieces)) return AppendTokens(pieces, out);
  IMI_RETURN_IF_ERROR(SplitIntoSymbols(word, &pieces));
  MergeAll(&pieces);
  if (deterministic) cache_.Put(word, pieces);
  return AppendTokens(pieces, out);
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  return FindId(vocab_, token);
}

std::optional<std::string_view> BpeModel::IdToToken(int32_t id) const {
  const std::string* token = vocab_r_.Find(id);
  if (token == nullptr) return std::nullopt;
  return std::string_view(*token);
}

}  // namespace imi::tokenizer
