#include "store/embedded/lexical_index.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

namespace imi::store {

double LexicalIndex::Below(double x) { return x - kSlack * std::max(1.0, std::fabs(x)); }

LexicalIndex::LexicalIndex(size_t fields, Tuning tuning) : tuning_(tuning), fields_(fields) {
  tuning_.block_shift = std::clamp(tuning_.block_shift, 1, 16);
  tuning_.window_shift = std::clamp(tuning_.window_shift, 6, 20);
}

void LexicalIndex::BlockMax::Update(uint32_t tf, uint32_t length) {
  if (tf == 1) {
    min_length_one = std::min(min_length_one, length);
  } else {
    max_tf = std::max(max_tf, tf);
    min_length_many = std::min(min_length_many, length);
  }
}

void LexicalIndex::AddPosting(Field& field, uint32_t term, uint32_t slot, uint32_t tf, uint32_t length) {
  Postings<uint32_t>& p = field.postings[term];
  const size_t block = p.slots.size() >> tuning_.block_shift;
  std::vector<BlockMax>& blocks = field.blocks[term];
  if (block > 0) {
    // The term's bound so far is its first block's.
    if (blocks.empty()) blocks.push_back(field.term_max[term]);
    if (block == blocks.size()) blocks.emplace_back();
    blocks[block].Update(tf, length);
  }
  field.term_max[term].Update(tf, length);
  p.slots.push_back(slot);
  p.values.push_back(tf);
}

void LexicalIndex::RebuildBounds(Field& field) {
  for (size_t t = 0; t < field.postings.size(); ++t) {
    const Postings<uint32_t>& p = field.postings[t];
    BlockMax all;
    std::vector<BlockMax> blocks;
    if (p.slots.size() > (size_t{1} << tuning_.block_shift)) {
      blocks.resize(((p.slots.size() - 1) >> tuning_.block_shift) + 1);
    }
    for (size_t i = 0; i < p.slots.size(); ++i) {
      const uint32_t length = field.length[p.slots[i]];
      all.Update(p.values[i], length);
      if (!blocks.empty()) blocks[i >> tuning_.block_shift].Update(p.values[i], length);
    }
    field.term_max[t] = all;
    field.blocks[t] = std::move(blocks);
  }
}

LexicalIndex::MemoryUse LexicalIndex::Memory() const {
  MemoryUse use;
  for (const Field& field : fields_) {
    use.postings += field.postings.capacity() * sizeof(Postings<uint32_t>);
    for (const auto& p : field.postings) {
      use.postings += (p.slots.capacity() + p.values.capacity()) * sizeof(uint32_t);
    }
    use.bounds += field.term_max.capacity() * sizeof(BlockMax) + field.blocks.capacity() * sizeof(std::vector<BlockMax>);
    for (const auto& b : field.blocks) use.bounds += b.capacity() * sizeof(BlockMax);
  }
  return use;
}

void LexicalIndex::Add(const ChunkRef& chunk, const std::vector<lexical::TermCounts>& terms,
                       const lexical::SparseVector& sparse) {
  const auto slot = static_cast<uint32_t>(slots_.size());
  auto [doc, inserted] = document_index_.emplace(chunk.document_id, static_cast<uint32_t>(documents_.size()));
  if (inserted) documents_.push_back(chunk.document_id);
  slots_.push_back(Slot{chunk.chunk_id, doc->second, chunk.ordinal, true});
  slot_of_[chunk.chunk_id] = slot;
  for (size_t f = 0; f < fields_.size(); ++f) {
    Field& field = fields_[f];
    const lexical::TermCounts& counts = f < terms.size() ? terms[f] : lexical::TermCounts{};
    field.length.push_back(counts.length);
    if (counts.length == 0) continue;
    ++field.chunks;
    field.total_length += counts.length;
    for (const auto& [term, tf] : counts.terms) {
      auto [it, fresh] = field.term_ids.emplace(term, static_cast<uint32_t>(field.postings.size()));
      if (fresh) {
        field.postings.emplace_back();
        field.df.push_back(0);
        field.term_max.emplace_back();
        field.blocks.emplace_back();
      }
      const uint32_t id = it->second;
      AddPosting(field, id, slot, tf, counts.length);
      ++field.df[id];
    }
  }
  for (size_t i = 0; i < sparse.indices.size(); ++i) {
    Postings<float>& p = sparse_[sparse.indices[i]];
    p.slots.push_back(slot);
    p.values.push_back(sparse.values[i]);
  }
}

void LexicalIndex::Remove(int64_t chunk_id, const std::vector<lexical::TermCounts>& terms) {
  auto it = slot_of_.find(chunk_id);
  if (it == slot_of_.end()) return;
  const uint32_t slot = it->second;
  slot_of_.erase(it);
  slots_[slot].alive = false;
  ++dead_;
  for (size_t f = 0; f < fields_.size(); ++f) {
    Field& field = fields_[f];
    const uint32_t length = field.length[slot];
    if (length == 0) continue;
    field.length[slot] = 0;
    --field.chunks;
    field.total_length -= length;
    if (f >= terms.size()) continue;
    for (const auto& [term, tf] : terms[f].terms) {
      auto t = field.term_ids.find(term);
      if (t != field.term_ids.end()) --field.df[t->second];
    }
  }
  CompactIfNeeded();
}

int64_t LexicalIndex::DocumentFrequency(size_t field, const std::string& term) const {
  const Field& f = fields_[field];
  auto it = f.term_ids.find(term);
  return it == f.term_ids.end() ? 0 : f.df[it->second];
}

void LexicalIndex::CompactIfNeeded() {
  // Dead slots stay in the postings (searches skip them) until they are a
  // quarter of all; then everything is renumbered in one pass.
  if (dead_ < 1024 || dead_ * 4 < slots_.size()) return;
  std::vector<uint32_t> renumber(slots_.size(), UINT32_MAX);
  std::vector<Slot> slots;
  slots.reserve(slots_.size() - dead_);
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].alive) continue;
    renumber[s] = static_cast<uint32_t>(slots.size());
    slots.push_back(slots_[s]);
  }
  auto rewrite = [&renumber](auto& postings) {
    size_t out = 0;
    for (size_t i = 0; i < postings.slots.size(); ++i) {
      const uint32_t s = renumber[postings.slots[i]];
      if (s == UINT32_MAX) continue;
      postings.slots[out] = s;
      postings.values[out] = postings.values[i];
      ++out;
    }
    postings.slots.resize(out);
    postings.values.resize(out);
    postings.slots.shrink_to_fit();
    postings.values.shrink_to_fit();
  };
  for (Field& field : fields_) {
    for (auto& p : field.postings) rewrite(p);
    std::vector<uint32_t> length(slots.size());
    for (size_t s = 0; s < renumber.size(); ++s) {
      if (renumber[s] != UINT32_MAX) length[renumber[s]] = field.length[s];
    }
    field.length = std::move(length);
    RebuildBounds(field);
  }
  for (auto it = sparse_.begin(); it != sparse_.end();) {
    rewrite(it->second);
    it = it->second.slots.empty() ? sparse_.erase(it) : std::next(it);
  }
  slots_ = std::move(slots);
  for (uint32_t s = 0; s < slots_.size(); ++s) slot_of_[slots_[s].chunk_id] = s;
  dead_ = 0;
}

Result<std::vector<LexicalIndex::Scored>> LexicalIndex::TopDocuments(
    std::vector<std::pair<uint32_t, double>> candidates, size_t k, const Accept& accept,
    const std::function<double(uint32_t)>& rescore) const {
  std::unordered_map<uint32_t, bool> accepted;
  auto better = [this](const std::pair<uint32_t, double>& a, const std::pair<uint32_t, double>& b) {
    if (a.second != b.second) return a.second > b.second;
    const Slot& x = slots_[a.first];
    const Slot& y = slots_[b.first];
    if (x.document != y.document) return documents_[x.document] < documents_[y.document];
    return x.ordinal < y.ordinal;
  };
  // Selection by the given scores: the best chunks are sorted in growing
  // prefixes until they cover k accepted documents.
  auto select = [&](std::vector<std::pair<uint32_t, double>>& pool) -> Result<std::vector<std::pair<uint32_t, double>>> {
    std::vector<std::pair<uint32_t, double>> top;
    std::unordered_map<uint32_t, bool> seen_doc;
    size_t sorted = 0;
    for (size_t want = std::min(pool.size(), 4 * k);; want = std::min(pool.size(), want * 4)) {
      if (want > sorted) {
        std::nth_element(pool.begin() + static_cast<std::ptrdiff_t>(sorted),
                         pool.begin() + static_cast<std::ptrdiff_t>(want - 1), pool.end(), better);
        std::sort(pool.begin() + static_cast<std::ptrdiff_t>(sorted), pool.begin() + static_cast<std::ptrdiff_t>(want),
                  better);
        for (size_t i = sorted; i < want && top.size() < k; ++i) {
          const uint32_t doc = slots_[pool[i].first].document;
          if (!seen_doc.emplace(doc, true).second) continue;  // the document's best chunk came first
          auto cached = accepted.find(doc);
          bool ok = true;
          if (accept) {
            if (cached == accepted.end()) {
              IMI_ASSIGN_OR_RETURN(ok, accept(documents_[doc]));
              accepted.emplace(doc, ok);
            } else {
              ok = cached->second;
            }
          }
          if (ok) top.push_back(pool[i]);
        }
        sorted = want;
      }
      if (top.size() >= k || sorted >= pool.size()) return top;
    }
  };
  if (candidates.empty()) return std::vector<Scored>();
  IMI_ASSIGN_OR_RETURN(auto top, select(candidates));
  if (rescore && !top.empty()) {
    // Re-sum every chunk that could reach the top in the canonical term
    // order, then select again on those exact scores.
    const double bound = top.size() >= k ? Below(top.back().second) : -std::numeric_limits<double>::infinity();
    std::vector<std::pair<uint32_t, double>> pool;
    for (const auto& [slot, score] : candidates) {
      if (score < bound) continue;
      auto it = accepted.find(slots_[slot].document);
      if (accept && (it == accepted.end() || !it->second)) {
        if (it != accepted.end()) continue;
        IMI_ASSIGN_OR_RETURN(bool ok, accept(documents_[slots_[slot].document]));
        accepted.emplace(slots_[slot].document, ok);
        if (!ok) continue;
      }
      pool.emplace_back(slot, rescore(slot));
    }
    IMI_ASSIGN_OR_RETURN(top, select(pool));
  }
  std::vector<Scored> out;
  out.reserve(top.size());
  for (const auto& [slot, score] : top) {
    const Slot& s = slots_[slot];
    out.push_back(Scored{s.chunk_id, &documents_[s.document], s.ordinal, score});
  }
  return out;
}

Result<std::vector<LexicalIndex::Scored>> LexicalIndex::SearchSparse(const lexical::SparseVector& query, size_t k,
                                                                     const Accept& accept) const {
  thread_local std::vector<float> acc;
  thread_local std::vector<uint8_t> seen;
  thread_local std::vector<uint32_t> touched;
  if (acc.size() < slots_.size()) {
    acc.resize(slots_.size(), 0.0f);
    seen.resize(slots_.size(), 0);
  }
  touched.clear();
  struct Reset {
    ~Reset() {
      for (uint32_t s : touched) {
        acc[s] = 0.0f;
        seen[s] = 0;
      }
      touched.clear();
    }
  } reset;
  // Ascending query indices: each chunk accumulates its products in
  // ascending index order, in float, as pgvector does.
  for (size_t i = 0; i < query.indices.size(); ++i) {
    auto it = sparse_.find(query.indices[i]);
    if (it == sparse_.end()) continue;
    const float q = query.values[i];
    const Postings<float>& p = it->second;
    for (size_t j = 0; j < p.slots.size(); ++j) {
      const uint32_t slot = p.slots[j];
      if (dead_ > 0 && !slots_[slot].alive) continue;
      if (!seen[slot]) {
        seen[slot] = 1;
        touched.push_back(slot);
      }
      const float product = p.values[j] * q;
      acc[slot] += product;
    }
  }
  std::vector<std::pair<uint32_t, double>> candidates;
  for (uint32_t s : touched) {
    if (acc[s] != 0.0f) candidates.emplace_back(s, static_cast<double>(acc[s]));
  }
  return TopDocuments(std::move(candidates), k, accept, nullptr);
}

}  // namespace imi::store
