#include "tokenizer/unigram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "tokenizer/serde_float.h"
#include "tokenizer/vocab_map.h"

namespace imi::tokenizer {
namespace {

constexpr std::string_view kWhat = "Unigram model";
// Score of an unknown character below the lowest piece (the reference's
// kUnkPenalty).
constexpr double kUnkPenalty = 10.0;

size_t CharLen(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string ByteToken(uint8_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", byte);
  return buf;
}

}  // namespace

void UnigramModel::Vocab::Sync() {
  pieces = std::string_view(own_pieces_.data(), own_pieces_.size());
  offsets = own_offsets_;
  scores = own_scores_;
  keep_.reset();
}

void UnigramModel::Vocab::Reserve(size_t n) {
  own_offsets_.reserve(n + 1);
  own_scores_.reserve(n);
}

void UnigramModel::Vocab::Append(std::string_view piece, double score) {
  own_pieces_.insert(own_pieces_.end(), piece.begin(), piece.end());
  own_offsets_.push_back(static_cast<uint32_t>(own_pieces_.size()));
  own_scores_.push_back(score);
  Sync();
}

void UnigramModel::Vocab::Assign(std::vector<char> pieces_bytes, std::vector<uint32_t> piece_offsets,
                                 std::vector<double> piece_scores) {
  own_pieces_ = std::move(pieces_bytes);
  own_offsets_ = std::move(piece_offsets);
  own_scores_ = std::move(piece_scores);
  Sync();
}

void UnigramModel::Vocab::Borrow(std::string_view pieces_bytes, std::span<const uint32_t> piece_offsets,
                                 std::span<const double> piece_scores, std::shared_ptr<const void> keep) {
  own_pieces_ = {};
  own_offsets_ = {};
  own_scores_ = {};
  pieces = pieces_bytes;
  offsets = piece_offsets;
  scores = piece_scores;
  keep_ = std::move(keep);
}

Result<std::unique_ptr<UnigramModel>> UnigramModel::FromJson(const nlohmann::json& model) {
  auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_array()) {
    return Status::InvalidArgument(std::string(kWhat) +
                                   ": \"vocab\" must be a list of [piece, score] pairs");
  }
  Vocab flat;
  flat.Reserve(vocab->size());
  for (const nlohmann::json& entry : *vocab) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      return Status::InvalidArgument(std::string(kWhat) + ": vocab entry " + std::to_string(flat.size()) +
                                     " is not a [piece, score] pair");
    }
    const auto id = static_cast<int32_t>(flat.size());
    // Read the score exactly as the reference's JSON parser does (ties).
    const double score = entry[1].is_number_float() ? SerdeJsonF64(entry[1].get<double>())
                                                    : entry[1].get<double>();
    const std::string& piece = entry[0].get_ref<const std::string&>();
    if (flat.pieces.size() + piece.size() > std::numeric_limits<uint32_t>::max() ||
        flat.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return Status::InvalidArgument(std::string(kWhat) + ": the vocabulary is larger than 4 GiB");
    }
    flat.trie.Insert(piece, id);
    flat.Append(piece, score);
  }
  flat.trie.Build();
  auto result = std::make_unique<UnigramModel>();
  result->vocab_ = std::move(flat);
  IMI_RETURN_IF_ERROR(result->ReadOptions(model));
  return result;
}

Result<std::unique_ptr<UnigramModel>> UnigramModel::FromVocab(const nlohmann::json& model, Vocab vocab) {
  if (!model.is_object()) return Status::InvalidArgument(std::string(kWhat) + ": not an object");
  const size_t n = vocab.scores.size();
  if (vocab.offsets.size() != n + 1 || vocab.offsets.front() != 0 || vocab.offsets.back() != vocab.pieces.size()) {
    return Status::InvalidArgument(std::string(kWhat) + ": piece offsets do not match the pieces");
  }
  for (size_t i = 0; i < n; ++i) {
    if (vocab.offsets[i] > vocab.offsets[i + 1]) {
      return Status::InvalidArgument(std::string(kWhat) + ": piece offsets are not in order");
    }
    if (!std::isfinite(vocab.scores[i])) {
      return Status::InvalidArgument(std::string(kWhat) + ": piece " + std::to_string(i) + " has no finite score");
    }
  }
  auto result = std::make_unique<UnigramModel>();
  result->vocab_ = std::move(vocab);
  IMI_RETURN_IF_ERROR(result->ReadOptions(model));
  return result;
}

Status UnigramModel::ReadOptions(const nlohmann::json& model) {
  double min_score = std::numeric_limits<double>::infinity();
  for (double score : vocab_.scores) min_score = std::min(min_score, score);
  min_score_ = min_score;
  auto unk = model.find("unk_id");
  if (unk != model.end() && !unk->is_null()) {
    if (!unk->is_number_unsigned()) {
      return Status::InvalidArgument(std::string(kWhat) + ": \"unk_id\" must be a non-negative integer");
    }
    if (vocab_.size() == 0) {
      return Status::InvalidArgument(std::string(kWhat) + ": the vocabulary is empty");
    }
    if (unk->get<uint64_t>() >= vocab_.size()) {
      return Status::InvalidArgument(std::string(kWhat) + ": \"unk_id\" is outside the vocabulary");
    }
    unk_id_ = static_cast<int32_t>(unk->get<uint64_t>());
  }
  IMI_ASSIGN_OR_RETURN(byte_fallback_, BoolField(model, "byte_fallback", false, kWhat));
  if (byte_fallback_) {
    byte_ids_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      if (auto id = vocab_.trie.Find(ByteToken(static_cast<uint8_t>(b)))) byte_ids_[b] = *id;
    }
  }
  return Status::Ok();
}

Status UnigramModel::BestPath(std::string_view word, std::vector<Segment>* segments) const {
  struct Cell {
    double score;
    int32_t id;
    int32_t starts_at;  // -1: not reached yet
  };
  const size_t size = word.size();
  thread_local std::vector<Cell> cells;
  cells.assign(size + 1, Cell{0.0, 0, -1});
  const double unk_score = min_score_ - kUnkPenalty;

  size_t starts_at = 0;
  while (starts_at < size) {
    const double till_here = cells[starts_at].score;
    const size_t mblen =
        std::min(CharLen(static_cast<unsigned char>(word[starts_at])), size - starts_at);
    bool has_single_node = false;
    vocab_.trie.ForEachPrefix(word.substr(starts_at), [&](size_t length, int32_t id) {
      Cell& target = cells[starts_at + length];
      const double candidate = vocab_.scores[id] + till_here;
      // Strictly greater: the first candidate reaching a position keeps a tie.
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int32_t>(starts_at);
        target.id = id;
      }
      if (length == mblen) has_single_node = true;
    });
    if (!has_single_node) {
      if (!unk_id_) {
        return Status::InvalidArgument(
            "Unigram: the text has a character outside the vocabulary and the model has no unk_id");
      }
      Cell& target = cells[starts_at + mblen];
      const double candidate = unk_score + till_here;
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int32_t>(starts_at);
        target.id = *unk_id_;
      }
    }
    starts_at += mblen;
  }

  // Walk back from the end, fusing consecutive unknowns.
  segments->clear();
  size_t ends_at = size;
  size_t unk_end = 0;
  bool in_unk = false;
  size_t unk_start = 0;
  while (ends_at > 0) {
    const Cell& cell = cells[ends_at];
    if (cell.starts_at < 0) return Status::Internal("Unigram: no path reaches a character boundary");
    const auto start = static_cast<size_t>(cell.starts_at);
    if (unk_id_ && cell.id == *unk_id_) {
      if (!in_unk) {
        in_unk = true;
        unk_end = ends_at;
      }
      unk_start = start;
    } else {
      if (in_unk) {
        segments->push_back(Segment{unk_start, unk_end, *unk_id_});
        in_unk = false;
      }
      segments->push_back(Segment{start, ends_at, cell.id});
    }
    ends_at = start;
  }
  if (in_unk) segments->push_back(Segment{unk_start, unk_end, *unk_id_});
  std::reverse(segments->begin(), segments->end());
  return Status::Ok();
}

Status UnigramModel::Tokenize(std::string_view word, std::vector<Token>* out) const {
  if (word.empty()) return Status::Ok();
  thread_local std::vector<Segment> segments;
  IMI_RETURN_IF_ERROR(BestPath(word, &segments));
  for (const Segment& seg : segments) {
    std::string_view text = word.substr(seg.start, seg.end - seg.start);
    if (!(unk_id_ && seg.id == *unk_id_)) {
      out->push_back(Token{seg.id, std::string(text), seg.start, seg.end});
      continue;
    }
    // An unknown span: the reference looks its text up again (a fused span
    // can itself be a piece), then tries bytes, then falls back to unk.
    if (auto id = vocab_.trie.Find(text)) {
      out->push_back(Token{*id, std::string(text), seg.start, seg.end});
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes = true;
      for (unsigned char c : text) {
        if (byte_ids_[c] < 0) {
          all_bytes = false;
          break;
        }
      }
      if (all_bytes) {
        for (unsigned char c : text) {
          out->push_back(Token{byte_ids_[c], std::string(vocab_.Piece(byte_ids_[c])), seg.start, seg.end});
        }
        continue;
      }
    }
    out->push_back(Token{*unk_id_, std::string(text), seg.start, seg.end});
  }
  return Status::Ok();
}

std::optional<int32_t> UnigramModel::TokenToId(std::string_view token) const {
  return vocab_.trie.Find(token);
}

std::optional<std::string_view> UnigramModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return std::nullopt;
  return vocab_.Piece(static_cast<size_t>(id));
}

}  // namespace imi::tokenizer
