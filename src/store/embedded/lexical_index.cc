#include "store/embedded/lexical_index.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

namespace imi::store {

namespace {

// Index of `slot` in the ascending `slots` at or after `from` (galloping),
// or slots.size() when absent; *from moves past the searched range so the
// next (larger) slot starts there.
size_t Gallop(const std::vector<uint32_t>& slots, size_t* from, uint32_t slot) {
  size_t lo = *from, step = 1, hi = lo;
  while (hi < slots.size() && slots[hi] < slot) {
    lo = hi;
    hi += step;
    step *= 2;
  }
  hi = std::min(hi + 1, slots.size());
  auto it = std::lower_bound(slots.begin() + static_cast<std::ptrdiff_t>(lo),
                             slots.begin() + static_cast<std::ptrdiff_t>(hi), slot);
  *from = static_cast<size_t>(it - slots.begin());
  if (it != slots.end() && *it == slot) return *from;
  return slots.size();
}

// Relative slack under which two sums of the same terms in different orders
// may still differ (they differ by a few ulps; 1e-9 is far above that).
constexpr double kSlack = 1e-9;

double Below(double x) { return x - kSlack * std::max(1.0, std::fabs(x)); }

}  // namespace

LexicalIndex::LexicalIndex(size_t fields) : fields_(fields) {}

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
        field.max_tf.push_back(0);
        field.min_length.push_back(UINT32_MAX);
      }
      const uint32_t id = it->second;
      Postings<uint32_t>& p = field.postings[id];
      p.slots.push_back(slot);
      p.values.push_back(tf);
      ++field.df[id];
      field.max_tf[id] = std::max(field.max_tf[id], static_cast<uint32_t>(tf));
      field.min_length[id] = std::min(field.min_length[id], counts.length);
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

Result<std::vector<LexicalIndex::Scored>> LexicalIndex::SearchBm25(size_t field_index,
                                                                   const std::vector<lexical::QueryTerm>& query,
                                                                   const lexical::Bm25Params& params, size_t k,
                                                                   const Accept& accept) const {
  const Field& field = fields_[field_index];
  if (field.chunks == 0 || k == 0) return std::vector<Scored>();
  const double avgdl = static_cast<double>(field.total_length) / static_cast<double>(field.chunks);
  struct Term {
    const Postings<uint32_t>* postings;
    int64_t count;
    double idf;
    double bound;  // no chunk gets more than this from the term
  };
  std::vector<Term> terms;
  for (const lexical::QueryTerm& q : query) {
    auto it = field.term_ids.find(q.term);
    if (it == field.term_ids.end() || field.df[it->second] == 0) continue;
    const uint32_t id = it->second;
    const double idf = lexical::Bm25Idf(field.df[id], field.chunks);
    // The term score grows with tf and falls with the chunk length: its
    // value at the largest tf and the smallest length bounds every chunk's
    // (with a little slack for rounding).
    const double bound = lexical::Bm25TermScore(q.count, idf, field.max_tf[id], field.min_length[id], avgdl, params);
    terms.push_back(Term{&field.postings[id], q.count, idf, bound * (1 + 1e-12)});
  }
  if (terms.empty()) return std::vector<Scored>();
  // Candidates are found with a cheaper rearrangement of the term score
  // (one division); every chunk that can reach the top k is then rescored
  // with lexical::Bm25TermScore itself, so returned scores are exact.
  const double norm_a = params.k1 * (1 - params.b);
  const double norm_b = params.k1 * params.b / avgdl;
  const uint32_t* lengths = field.length.data();
  auto fast = [&](double weight, uint32_t slot, uint32_t tf) {
    const double t = static_cast<double>(tf);
    return weight * t / (t + (norm_a + norm_b * static_cast<double>(lengths[slot])));
  };
  auto contribution = [&](const Term& t, uint32_t slot, uint32_t tf) {
    return lexical::Bm25TermScore(t.count, t.idf, tf, field.length[slot], avgdl, params);
  };
  // The exact score in the query's (bytewise) term order, as PostgreSQL sums it.
  std::vector<Term> canonical = terms;
  auto rescore = [&](uint32_t slot) {
    double sum = 0;
    for (const Term& t : canonical) {
      size_t from = 0;
      const size_t at = Gallop(t.postings->slots, &from, slot);
      if (at < t.postings->slots.size()) sum += contribution(t, slot, t.postings->values[at]);
    }
    return sum;
  };
  // Rare terms first: once the k-th best document's partial score beats
  // what all remaining terms together could add, no chunk they alone match
  // can enter the top k, and the remaining terms only update candidates.
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.bound > b.bound; });
  std::vector<double> rest(terms.size() + 1, 0.0);
  for (size_t i = terms.size(); i-- > 0;) rest[i] = rest[i + 1] + terms[i].bound;

  thread_local std::vector<double> acc;
  thread_local std::vector<uint32_t> touched;
  if (acc.size() < slots_.size()) acc.resize(slots_.size(), 0.0);
  touched.clear();
  struct Reset {
    ~Reset() {
      for (uint32_t s : touched) acc[s] = 0.0;
      touched.clear();
    }
  } reset;

  std::optional<double> theta;
  const bool has_dead = dead_ > 0;
  thread_local std::vector<double> kth;
  size_t i = 0;
  for (; i < terms.size(); ++i) {
    if (theta && rest[i] < Below(*theta)) break;
    const Term& t = terms[i];
    const uint32_t* slots = t.postings->slots.data();
    const uint32_t* tfs = t.postings->values.data();
    const size_t n = t.postings->slots.size();
    const double weight = static_cast<double>(t.count) * t.idf;
    double* sums = acc.data();
    for (size_t p = 0; p < n; ++p) {
      const uint32_t slot = slots[p];
      if (has_dead && !slots_[slot].alive) continue;
      if (sums[slot] == 0.0) touched.push_back(slot);
      sums[slot] += fast(weight, slot, tfs[p]);
    }
    if (i + 1 < terms.size() && touched.size() >= k) {
      // The k-th best chunk's partial score bounds the k-th best
      // document's from above: when even that cannot stop the scan at the
      // next term, the (costlier) document-level threshold is not needed.
      kth.clear();
      for (uint32_t s : touched) kth.push_back(acc[s]);
      std::nth_element(kth.begin(), kth.begin() + static_cast<std::ptrdiff_t>(k - 1), kth.end(), std::greater<>());
      if (rest[i + 1] >= Below(kth[k - 1])) continue;
      std::vector<std::pair<uint32_t, double>> partial;
      partial.reserve(touched.size());
      for (uint32_t s : touched) partial.emplace_back(s, acc[s]);
      IMI_ASSIGN_OR_RETURN(std::vector<Scored> top, TopDocuments(std::move(partial), k, accept, nullptr));
      if (top.size() >= k) theta = top.back().score;
    }
  }
  std::vector<std::pair<uint32_t, double>> candidates;
  if (i < terms.size()) {
    std::vector<uint32_t> alive;
    for (uint32_t s : touched) {
      if (acc[s] + rest[i] >= Below(*theta)) alive.push_back(s);
    }
    std::sort(alive.begin(), alive.end());
    for (size_t j = i; j < terms.size(); ++j) {
      const Term& t = terms[j];
      size_t from = 0;
      for (uint32_t s : alive) {
        const size_t at = Gallop(t.postings->slots, &from, s);
        if (at < t.postings->slots.size()) acc[s] += fast(static_cast<double>(t.count) * t.idf, s, t.postings->values[at]);
      }
    }
    candidates.reserve(alive.size());
    for (uint32_t s : alive) candidates.emplace_back(s, acc[s]);
  } else {
    candidates.reserve(touched.size());
    for (uint32_t s : touched) candidates.emplace_back(s, acc[s]);
  }
  return TopDocuments(std::move(candidates), k, accept, rescore);
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
