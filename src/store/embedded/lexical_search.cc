// BM25 search over LexicalIndex: block-max MaxScore in windows of slots
// (docs/lexical.md, "Search and pruning").
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <unordered_map>

#include "store/embedded/lexical_index.h"

namespace imi::store {

namespace {

// Index of the first element >= `slot` in the ascending slots[from, n), or
// n when there is none (galloping from `from`).
size_t Seek(const uint32_t* slots, size_t n, size_t from, uint32_t slot) {
  if (from >= n || slots[from] >= slot) return from;
  // slots[lo] < slot throughout.
  size_t lo = from, step = 1;
  while (lo + step < n && slots[lo + step] < slot) {
    lo += step;
    step *= 2;
  }
  const size_t hi = std::min(lo + step + 1, n);
  return static_cast<size_t>(std::lower_bound(slots + lo + 1, slots + hi, slot) - slots);
}

}  // namespace

Result<std::vector<LexicalIndex::Scored>> LexicalIndex::SearchBm25(size_t field_index,
                                                                   const std::vector<lexical::QueryTerm>& query,
                                                                   const lexical::Bm25Params& params, size_t k,
                                                                   const Accept& accept) const {
  const Field& field = fields_[field_index];
  if (field.chunks == 0 || k == 0) return std::vector<Scored>();
  const double avgdl = static_cast<double>(field.total_length) / static_cast<double>(field.chunks);
  // Candidates are found with a cheaper rearrangement of the term score
  // (one division); every chunk that can reach the top k is then rescored
  // with lexical::Bm25TermScore itself, so returned scores are exact.
  const double norm_a = params.k1 * (1 - params.b);
  const double norm_b = params.k1 * params.b / avgdl;
  const uint32_t* lengths = field.length.data();
  auto fast = [&](double weight, uint32_t length, uint32_t tf) {
    const double t = static_cast<double>(tf);
    return weight * t / (t + (norm_a + norm_b * static_cast<double>(length)));
  };
  // No posting a BlockMax covers scores more than this in the term: the
  // score at its corners (largest tf, smallest length), with a little room
  // for the rounding of the sums compared against it.
  auto bound = [&](double weight, const BlockMax& m) {
    double b = 0;
    if (m.min_length_one != UINT32_MAX) b = fast(weight, m.min_length_one, 1);
    if (m.max_tf > 0) b = std::max(b, fast(weight, m.min_length_many, m.max_tf));
    return b * (1 + 1e-12);
  };
  struct Term {
    const uint32_t* slots;
    const uint32_t* tfs;
    size_t n;
    const std::vector<BlockMax>* blocks;  // empty: one block, bounded by `all`
    double all;                           // the bound over all postings
    int64_t count;
    double idf;
    double weight;  // count · idf
    size_t pos = 0;  // cursor: first posting at or after the window
    size_t cached_block = SIZE_MAX;
    double cached_bound = 0;
    double window = 0;  // the bound within the current window (0: absent)
  };
  std::vector<Term> terms;
  for (const lexical::QueryTerm& q : query) {
    auto it = field.term_ids.find(q.term);
    if (it == field.term_ids.end() || field.df[it->second] == 0) continue;
    const uint32_t id = it->second;
    const Postings<uint32_t>& p = field.postings[id];
    Term t{p.slots.data(), p.values.data(), p.slots.size(), &field.blocks[id], 0, q.count,
           lexical::Bm25Idf(field.df[id], field.chunks), 0};
    t.weight = static_cast<double>(t.count) * t.idf;
    t.all = bound(t.weight, field.term_max[id]);
    terms.push_back(t);
  }
  if (terms.empty()) return std::vector<Scored>();
  const size_t m = terms.size();

  // The exact score in the query's (bytewise) term order, as PostgreSQL sums it.
  auto rescore = [&](uint32_t slot) {
    double sum = 0;
    for (const Term& t : terms) {
      const size_t at = Seek(t.slots, t.n, 0, slot);
      if (at < t.n && t.slots[at] == slot) {
        sum += lexical::Bm25TermScore(t.count, t.idf, t.tfs[at], lengths[slot], avgdl, params);
      }
    }
    return sum;
  };

  // Threshold: the k-th best among the best scores seen so far of k
  // distinct accepted documents. It only grows, and never exceeds the final
  // k-th best document's score, so a chunk whose bound stays below it (by
  // more than rounding) cannot be in the top k.
  std::set<std::pair<double, uint32_t>> top;  // (score, document)
  std::unordered_map<uint32_t, double> top_score;
  std::unordered_map<uint32_t, bool> accepted;
  double limit = -std::numeric_limits<double>::infinity();  // Below(threshold)
  std::vector<std::pair<uint32_t, double>> candidates;
  // A chunk of an accepted document: a candidate, and maybe in the top set.
  auto admit = [&](uint32_t slot, double score) {
    candidates.emplace_back(slot, score);
    const uint32_t doc = slots_[slot].document;
    auto [it, fresh] = top_score.emplace(doc, score);
    if (!fresh) {
      if (score <= it->second) return;
      top.erase({it->second, doc});
      it->second = score;
      top.emplace(score, doc);
    } else {
      top.emplace(score, doc);
      if (top.size() > k) {
        top_score.erase(top.begin()->second);
        top.erase(top.begin());
      }
    }
    if (top.size() == k) limit = Below(top.begin()->first);
  };
  // Fully scored chunks that reach the threshold. With a filter they wait
  // for the end of their window and are then taken best first, so that the
  // filter is asked only about those that still reach the threshold raised
  // by the better ones (each question may cost a lookup).
  std::vector<std::pair<uint32_t, double>> pending;
  auto offer = [&](uint32_t slot, double score) {
    if (score < limit) return;
    if (accept) {
      pending.emplace_back(slot, score);
    } else {
      admit(slot, score);
    }
  };
  auto flush = [&]() -> Status {
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [slot, score] : pending) {
      if (score < limit) break;
      const uint32_t doc = slots_[slot].document;
      auto it = accepted.find(doc);
      if (it == accepted.end()) {
        IMI_ASSIGN_OR_RETURN(bool ok, accept(documents_[doc]));
        it = accepted.emplace(doc, ok).first;
      }
      if (it->second) admit(slot, score);
    }
    pending.clear();
    return Status::Ok();
  };

  // Windows of slots, in ascending order. In each, every term's bound is the
  // largest of its blocks that have postings there (0 when none do). Sorted
  // by that bound, the terms whose bounds together stay below the threshold
  // are non-essential: a chunk matching only them cannot reach the top k.
  // The essential terms' postings are summed into the window; each chunk
  // found looks up the non-essential terms (largest bound first) only while
  // its score plus their remaining bounds can still reach the threshold.
  const int block_shift = tuning_.block_shift;
  const uint32_t window = uint32_t{1} << tuning_.window_shift;
  thread_local std::vector<double> acc;
  thread_local std::vector<uint64_t> bits;
  acc.resize(window);
  bits.assign(window / 64, 0);
  const bool has_dead = dead_ > 0;
  std::vector<size_t> order(m);
  std::vector<double> below(m + 1);  // below[j]: sum of the bounds of order[0, j)
  std::vector<size_t> probe(m);
  uint64_t start = 0;
  while (true) {
    uint64_t first = UINT64_MAX;
    for (Term& t : terms) {
      t.pos = Seek(t.slots, t.n, t.pos, static_cast<uint32_t>(start));
      if (t.pos < t.n) first = std::min<uint64_t>(first, t.slots[t.pos]);
    }
    if (first == UINT64_MAX) break;
    start = first;
    const uint64_t end = start + window;
    for (Term& t : terms) {
      t.window = 0;
      if (t.pos >= t.n || t.slots[t.pos] >= end) continue;
      if (t.blocks->empty()) {
        t.window = t.all;
        continue;
      }
      size_t b = t.pos >> block_shift;
      for (;;) {
        if (b != t.cached_block) {
          t.cached_block = b;
          t.cached_bound = bound(t.weight, (*t.blocks)[b]);
        }
        t.window = std::max(t.window, t.cached_bound);
        const size_t next = (b + 1) << block_shift;
        if (next >= t.n || t.slots[next] >= end) break;
        ++b;
      }
    }
    for (size_t j = 0; j < m; ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return terms[a].window < terms[b].window; });
    size_t essential = 0;
    below[0] = 0;
    while (essential < m && below[essential] + terms[order[essential]].window < limit) {
      below[essential + 1] = below[essential] + terms[order[essential]].window;
      ++essential;
    }
    if (essential == m) {
      start = end;  // nothing in this window can reach the threshold
      continue;
    }
    for (size_t j = essential; j < m; ++j) {
      Term& t = terms[order[j]];
      const double weight = t.weight;
      size_t p = t.pos;
      for (; p < t.n && t.slots[p] < end; ++p) {
        const uint32_t slot = t.slots[p];
        if (has_dead && !slots_[slot].alive) continue;
        const uint32_t local = slot - static_cast<uint32_t>(start);
        const double score = fast(weight, lengths[slot], t.tfs[p]);
        uint64_t& word = bits[local >> 6];
        const uint64_t bit = uint64_t{1} << (local & 63);
        if (word & bit) {
          acc[local] += score;
        } else {
          word |= bit;
          acc[local] = score;
        }
      }
      t.pos = p;
    }
    for (size_t j = 0; j < essential; ++j) probe[order[j]] = terms[order[j]].pos;
    for (size_t w = 0; w < bits.size(); ++w) {
      uint64_t word = bits[w];
      bits[w] = 0;
      while (word != 0) {
        const uint32_t local = static_cast<uint32_t>(w * 64) + static_cast<uint32_t>(__builtin_ctzll(word));
        word &= word - 1;
        const uint32_t slot = static_cast<uint32_t>(start) + local;
        double score = acc[local];
        bool pruned = false;
        for (size_t j = essential; j-- > 0;) {
          if (score + below[j + 1] < limit) {
            pruned = true;
            break;
          }
          Term& t = terms[order[j]];
          size_t& at = probe[order[j]];
          at = Seek(t.slots, t.n, at, slot);
          if (at < t.n && t.slots[at] == slot) score += fast(t.weight, lengths[slot], t.tfs[at]);
        }
        if (!pruned) offer(slot, score);
      }
    }
    if (!pending.empty()) IMI_RETURN_IF_ERROR(flush());
    start = end;
  }
  return TopDocuments(std::move(candidates), k, Accept(), rescore);
}

}  // namespace imi::store
