#include "tokenizer/normalized_string.h"

#include <algorithm>
#include <cstdint>

#include "base/utf8.h"
#include "tokenizer/unicode_props.h"

namespace imi::tokenizer {
namespace {

bool IsAscii(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}

// Decodes valid UTF-8 into code points.
std::vector<char32_t> Chars(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(utf8::Decode(s, &pos));
  return out;
}

}  // namespace

NormalizedString::NormalizedString(std::string_view original)
    : normalized_(original), original_len_(original.size()) {
  alignments_.resize(original.size());
  size_t pos = 0;
  while (pos < original.size()) {
    size_t start = pos;
    utf8::Decode(original, &pos);
    for (size_t i = start; i < pos; ++i) alignments_[i] = {start, pos};
  }
}

std::optional<ByteRange> NormalizedString::NormalizedToOriginal(size_t start, size_t end) const {
  if (start == end) return ByteRange{original_shift_ + start, original_shift_ + end};
  if (start > end || end > alignments_.size()) return std::nullopt;
  return ByteRange{alignments_[start].first, alignments_[end - 1].second};
}

std::optional<ByteRange> NormalizedString::WholeRange() const {
  const size_t target_start = original_shift_;
  const size_t target_end = original_shift_ + original_len_;
  if (target_start == target_end) return ByteRange{0, 0};
  std::optional<size_t> start;
  std::optional<size_t> end;
  for (size_t i = 0; i < alignments_.size(); ++i) {
    const ByteRange& a = alignments_[i];
    if (target_end < a.second) break;
    // Zero-width alignments (inserted at the very start) do not open the
    // range, as in the reference.
    if (!start && target_start <= a.first && a.first != a.second) start = i;
    end = i + 1;
  }
  if (start && end) return ByteRange{*start, *end};
  if (end) return ByteRange{*end, *end};
  return std::nullopt;
}

void NormalizedString::TransformRange(size_t start, size_t end,
                                      const std::vector<CharChange>& dest,
                                      size_t initial_offset) {
  // Byte lengths of the characters being replaced, consumed in order.
  std::vector<uint8_t> lengths;
  lengths.reserve(end - start);
  {
    std::string_view range(normalized_.data() + start, end - start);
    size_t pos = 0;
    while (pos < range.size()) {
      size_t before = pos;
      utf8::Decode(range, &pos);
      lengths.push_back(static_cast<uint8_t>(pos - before));
    }
  }
  size_t next = 0;
  size_t offset = start;
  for (; next < initial_offset && next < lengths.size(); ++next) offset += lengths[next];

  const ByteRange empty_alignment{original_shift_, original_shift_};
  auto alignment_at = [&](size_t idx) -> ByteRange {
    if (idx < alignments_.size()) return alignments_[idx];
    return alignments_.empty() ? empty_alignment : alignments_.back();
  };

  std::string replacement;
  replacement.reserve(dest.size() * 2);
  std::vector<ByteRange> new_alignments;
  new_alignments.reserve(dest.size() * 2);
  for (const CharChange& d : dest) {
    ByteRange align;
    if (d.change > 0) {
      align = offset < 1 ? empty_alignment : alignment_at(offset - 1);
    } else {
      align = alignment_at(offset);
      if (next < lengths.size()) offset += lengths[next++];
      for (int k = 0; k < -d.change && next < lengths.size(); ++k) offset += lengths[next++];
    }
    size_t before = replacement.size();
    utf8::Append(&replacement, d.c);
    new_alignments.insert(new_alignments.end(), replacement.size() - before, align);
  }
  normalized_.replace(start, end - start, replacement);
  alignments_.erase(alignments_.begin() + static_cast<std::ptrdiff_t>(start),
                    alignments_.begin() + static_cast<std::ptrdiff_t>(end));
  alignments_.insert(alignments_.begin() + static_cast<std::ptrdiff_t>(start),
                     new_alignments.begin(), new_alignments.end());
}

void NormalizedString::Transform(const std::vector<CharChange>& dest, size_t initial_offset) {
  std::optional<ByteRange> range = WholeRange();
  if (!range) return;
  TransformRange(range->first, range->second, dest, initial_offset);
}

void NormalizedString::Filter(const std::function<bool(char32_t)>& keep) {
  int removed = 0;
  size_t removed_start = 0;
  std::vector<CharChange> changes;
  changes.reserve(normalized_.size());
  std::optional<char32_t> last;
  size_t pos = 0;
  bool any_removed = false;
  while (pos < normalized_.size()) {
    char32_t c = utf8::Decode(normalized_, &pos);
    if (keep(c)) {
      if (last) {
        changes.push_back({*last, -removed});
      } else {
        removed_start = static_cast<size_t>(removed);
      }
      last = c;
      removed = 0;
    } else {
      ++removed;
      any_removed = true;
    }
  }
  if (!any_removed) return;
  if (last) changes.push_back({*last, -removed});
  Transform(changes, removed_start);
}

void NormalizedString::Map(const std::function<char32_t(char32_t)>& map) {
  std::vector<CharChange> changes;
  changes.reserve(normalized_.size());
  size_t pos = 0;
  while (pos < normalized_.size()) changes.push_back({map(utf8::Decode(normalized_, &pos)), 0});
  Transform(changes, 0);
}

void NormalizedString::Lowercase() {
  std::vector<CharChange> changes;
  changes.reserve(normalized_.size());
  std::vector<char32_t> lower;
  size_t pos = 0;
  bool changed = false;
  while (pos < normalized_.size()) {
    char32_t c = utf8::Decode(normalized_, &pos);
    lower.clear();
    unicode::AppendLowercase(c, &lower);
    for (size_t i = 0; i < lower.size(); ++i) {
      changes.push_back({lower[i], i > 0 ? 1 : 0});
    }
    changed = changed || lower.size() != 1 || lower[0] != c;
  }
  if (changed) Transform(changes, 0);
}

void NormalizedString::Decompose(bool compat) {
  if (IsAscii(normalized_)) return;
  std::vector<CharChange> out;
  out.reserve(normalized_.size());
  std::vector<char32_t> parts;
  size_t pos = 0;
  while (pos < normalized_.size()) {
    char32_t c = utf8::Decode(normalized_, &pos);
    parts.clear();
    unicode::AppendDecomposition(c, compat, &parts);
    for (size_t i = 0; i < parts.size(); ++i) out.push_back({parts[i], i > 0 ? 1 : 0});
  }
  // Canonical ordering: stable sort of every run of non-starters by class;
  // each character carries its change along, as in the reference.
  size_t i = 0;
  while (i < out.size()) {
    if (unicode::CombiningClass(out[i].c) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && unicode::CombiningClass(out[j].c) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i),
                       out.begin() + static_cast<std::ptrdiff_t>(j),
                       [](const CharChange& a, const CharChange& b) {
                         return unicode::CombiningClass(a.c) < unicode::CombiningClass(b.c);
                       });
    }
    i = j;
  }
  Transform(out, 0);
}

void NormalizedString::Compose(bool compat) {
  if (IsAscii(normalized_)) return;
  std::vector<CharChange> decomposed;
  decomposed.reserve(normalized_.size());
  std::vector<char32_t> parts;
  size_t pos = 0;
  while (pos < normalized_.size()) {
    char32_t c = utf8::Decode(normalized_, &pos);
    parts.clear();
    unicode::AppendDecomposition(c, compat, &parts);
    for (size_t i = 0; i < parts.size(); ++i) decomposed.push_back({parts[i], i > 0 ? 1 : 0});
  }
  for (size_t i = 0; i < decomposed.size();) {
    if (unicode::CombiningClass(decomposed[i].c) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < decomposed.size() && unicode::CombiningClass(decomposed[j].c) != 0) ++j;
    std::stable_sort(decomposed.begin() + static_cast<std::ptrdiff_t>(i),
                     decomposed.begin() + static_cast<std::ptrdiff_t>(j),
                     [](const CharChange& a, const CharChange& b) {
                       return unicode::CombiningClass(a.c) < unicode::CombiningClass(b.c);
                     });
    i = j;
  }
  // Canonical composition; a character absorbed into its starter moves its
  // change onto the starter (minus the one character it no longer takes).
  std::vector<CharChange> out;
  out.reserve(decomposed.size());
  std::optional<size_t> starter;
  int last_class = -1;
  for (const CharChange& d : decomposed) {
    int cls = unicode::CombiningClass(d.c);
    if (starter) {
      bool adjacent = *starter + 1 == out.size();
      bool unblocked = adjacent ? true : (last_class != 0 && last_class < cls);
      if (unblocked) {
        if (std::optional<char32_t> composed = unicode::ComposePair(out[*starter].c, d.c)) {
          out[*starter].c = *composed;
          out[*starter].change += d.change - 1;
          continue;
        }
      }
    }
    if (cls == 0) {
      starter = out.size();
      last_class = 0;
    } else {
      last_class = cls;
    }
    out.push_back(d);
  }
  Transform(out, 0);
}

void NormalizedString::Nfd() { Decompose(false); }
void NormalizedString::Nfkd() { Decompose(true); }
void NormalizedString::Nfc() { Compose(false); }
void NormalizedString::Nfkc() { Compose(true); }

void NormalizedString::Prepend(std::string_view s) {
  if (normalized_.empty() || s.empty()) return;
  size_t pos = 0;
  char32_t next = utf8::Decode(normalized_, &pos);
  std::vector<CharChange> changes;
  size_t spos = 0;
  bool first = true;
  while (spos < s.size()) {
    changes.push_back({utf8::Decode(s, &spos), first ? 0 : 1});
    first = false;
  }
  changes.push_back({next, 1});
  TransformRange(0, pos, changes, 0);
}

void NormalizedString::Append(std::string_view s) {
  if (s.empty()) return;
  std::vector<CharChange> changes;
  size_t start = 0;
  if (!normalized_.empty()) {
    size_t b = normalized_.size() - 1;
    while (b > 0 && (static_cast<unsigned char>(normalized_[b]) & 0xC0) == 0x80) --b;
    size_t pos = b;
    changes.push_back({utf8::Decode(normalized_, &pos), 0});
    start = b;
  }
  size_t spos = 0;
  while (spos < s.size()) changes.push_back({utf8::Decode(s, &spos), 1});
  TransformRange(start, normalized_.size(), changes, 0);
}

void NormalizedString::Replace(const std::vector<PatternPiece>& pieces, std::string_view content) {
  bool any = false;
  for (const PatternPiece& p : pieces) any = any || p.is_match;
  if (!any) return;
  std::string out;
  out.reserve(normalized_.size() + content.size());
  std::vector<ByteRange> aligns;
  aligns.reserve(alignments_.size() + content.size());
  size_t last_end = 0;
  const ByteRange empty_alignment{original_shift_, original_shift_};
  for (const PatternPiece& p : pieces) {
    if (!p.is_match) continue;
    auto [start, end] = p.range;
    out.append(normalized_, last_end, start - last_end);
    aligns.insert(aligns.end(), alignments_.begin() + static_cast<std::ptrdiff_t>(last_end),
                  alignments_.begin() + static_cast<std::ptrdiff_t>(start));
    // Every inserted character takes the alignment of the byte just before
    // the end of the match (the reference inserts after removing the match).
    ByteRange align = end < 1 ? empty_alignment : alignments_[end - 1];
    out.append(content);
    aligns.insert(aligns.end(), content.size(), align);
    last_end = end;
  }
  out.append(normalized_, last_end, std::string::npos);
  aligns.insert(aligns.end(), alignments_.begin() + static_cast<std::ptrdiff_t>(last_end),
                alignments_.end());
  normalized_ = std::move(out);
  alignments_ = std::move(aligns);
}

void NormalizedString::Strip(bool left, bool right) {
  std::vector<char32_t> chars = Chars(normalized_);
  size_t leading = 0;
  if (left) {
    while (leading < chars.size() && unicode::IsWhitespace(chars[leading])) ++leading;
  }
  size_t trailing = 0;
  if (right) {
    while (trailing < chars.size() && unicode::IsWhitespace(chars[chars.size() - 1 - trailing])) {
      ++trailing;
    }
  }
  if (leading == 0 && trailing == 0) return;
  const size_t count = chars.size();
  // The reference compares a character index with the byte length here; the
  // comparison is kept so offsets stay identical on non-ASCII text.
  const int64_t marker = static_cast<int64_t>(normalized_.size()) - static_cast<int64_t>(trailing) - 1;
  std::vector<CharChange> changes;
  changes.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (i < leading || i + trailing >= count) continue;
    if (static_cast<int64_t>(i) == marker) {
      changes.push_back({chars[i], -static_cast<int>(trailing)});
    } else {
      changes.push_back({chars[i], 0});
    }
  }
  Transform(changes, leading);
}

NormalizedString NormalizedString::Slice(size_t start, size_t end) const {
  NormalizedString out;
  std::optional<ByteRange> original = NormalizedToOriginal(start, end);
  if (!original || end > normalized_.size()) {
    out.original_shift_ = original_shift_;
    return out;
  }
  out.normalized_ = normalized_.substr(start, end - start);
  out.alignments_.assign(alignments_.begin() + static_cast<std::ptrdiff_t>(start),
                         alignments_.begin() + static_cast<std::ptrdiff_t>(end));
  out.original_shift_ = original->first;
  out.original_len_ = original->second >= original->first ? original->second - original->first : 0;
  return out;
}

std::vector<NormalizedString> NormalizedString::Split(const std::vector<PatternPiece>& pieces,
                                                      SplitBehavior behavior) const {
  // (range, remove)
  std::vector<std::pair<ByteRange, bool>> splits;
  splits.reserve(pieces.size());
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const auto& p : pieces) splits.push_back({p.range, false});
      break;
    case SplitBehavior::kRemoved:
      for (const auto& p : pieces) splits.push_back({p.range, p.is_match});
      break;
    case SplitBehavior::kContiguous: {
      bool previous = false;
      for (const auto& p : pieces) {
        if (p.is_match == previous && !splits.empty()) {
          splits.back().first.second = p.range.second;
        } else {
          splits.push_back({p.range, false});
        }
        previous = p.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous = false;
      for (const auto& p : pieces) {
        if (p.is_match && !previous && !splits.empty()) {
          splits.back().first.second = p.range.second;
        } else {
          splits.push_back({p.range, false});
        }
        previous = p.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous = false;
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous && !splits.empty()) {
          splits.back().first.first = it->range.first;
        } else {
          splits.push_back({it->range, false});
        }
        previous = it->is_match;
      }
      std::reverse(splits.begin(), splits.end());
      break;
    }
  }
  std::vector<NormalizedString> out;
  out.reserve(splits.size());
  for (const auto& [range, remove] : splits) {
    if (!remove) out.push_back(Slice(range.first, range.second));
  }
  return out;
}

std::vector<PatternPiece> FindCharMatches(std::string_view s,
                                          const std::function<bool(char32_t)>& pred) {
  std::vector<PatternPiece> out;
  if (s.empty()) {
    out.push_back({{0, 0}, false});
    return out;
  }
  size_t last_offset = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t b = pos;
    char32_t c = utf8::Decode(s, &pos);
    if (pred(c)) {
      if (last_offset < b) out.push_back({{last_offset, b}, false});
      out.push_back({{b, pos}, true});
      last_offset = pos;
    }
  }
  if (s.size() > last_offset) out.push_back({{last_offset, s.size()}, false});
  return out;
}

std::vector<PatternPiece> FindLiteralMatches(std::string_view s, std::string_view literal) {
  std::vector<PatternPiece> out;
  if (literal.empty()) {
    out.push_back({{0, utf8::CountCodePoints(s)}, false});
    return out;
  }
  if (s.empty()) {
    out.push_back({{0, 0}, false});
    return out;
  }
  size_t prev = 0;
  size_t at = s.find(literal);
  while (at != std::string_view::npos) {
    if (prev != at) out.push_back({{prev, at}, false});
    out.push_back({{at, at + literal.size()}, true});
    prev = at + literal.size();
    at = s.find(literal, prev);
  }
  if (prev != s.size()) out.push_back({{prev, s.size()}, false});
  return out;
}

void InvertPieces(std::vector<PatternPiece>* pieces) {
  for (PatternPiece& p : *pieces) p.is_match = !p.is_match;
}

}  // namespace imi::tokenizer
