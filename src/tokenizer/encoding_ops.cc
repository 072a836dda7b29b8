#include "tokenizer/encoding_ops.h"

#include <algorithm>
#include <utility>

namespace imi::tokenizer {
namespace {

Encoding Window(const Encoding& e, size_t start, size_t stop) {
  Encoding w;
  auto slice = [&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    return V(v.begin() + static_cast<std::ptrdiff_t>(start), v.begin() + static_cast<std::ptrdiff_t>(stop));
  };
  w.ids = slice(e.ids);
  w.type_ids = slice(e.type_ids);
  w.tokens = slice(e.tokens);
  w.offsets = slice(e.offsets);
  w.special_tokens_mask = slice(e.special_tokens_mask);
  w.attention_mask = slice(e.attention_mask);
  return w;
}

}  // namespace

Status TruncateEncoding(Encoding* e, size_t max_length, size_t stride, TruncationDirection direction) {
  const size_t len = e->ids.size();
  if (max_length >= len) return Status::Ok();
  if (max_length == 0) {
    Encoding whole = std::move(*e);
    *e = Encoding();
    e->overflowing.push_back(std::move(whole));
    return Status::Ok();
  }
  if (stride >= max_length) {
    return Status::InvalidArgument("truncation stride (" + std::to_string(stride) +
                                   ") must be smaller than the length left for tokens (" +
                                   std::to_string(max_length) + ")");
  }
  const size_t step = max_length - stride;
  std::vector<std::pair<size_t, size_t>> parts;
  if (direction == TruncationDirection::kRight) {
    for (size_t start = 0; start < len; start += step) {
      size_t stop = std::min(start + max_length, len);
      parts.push_back({start, stop});
      if (stop == len) break;
    }
  } else {
    // Windows taken from the end: stop runs len, len-step, ... while > 0.
    for (size_t i = 0;; ++i) {
      size_t back = i * step;
      if (back >= len) break;
      size_t stop = len - back;
      size_t start = stop > max_length ? stop - max_length : 0;
      parts.push_back({start, stop});
      if (start == 0) break;
    }
  }
  Encoding result = Window(*e, parts[0].first, parts[0].second);
  for (size_t i = 1; i < parts.size(); ++i) {
    result.overflowing.push_back(Window(*e, parts[i].first, parts[i].second));
  }
  *e = std::move(result);
  return Status::Ok();
}

void MergeEncodings(Encoding* e, Encoding pair, bool growing_offsets) {
  std::vector<Encoding> overflowings;
  for (const Encoding& self_o : e->overflowing) {
    Encoding n = self_o;
    MergeEncodings(&n, pair, growing_offsets);
    overflowings.push_back(std::move(n));
    for (const Encoding& other_o : pair.overflowing) {
      Encoding m = self_o;
      MergeEncodings(&m, other_o, growing_offsets);
      overflowings.push_back(std::move(m));
    }
  }
  for (const Encoding& other_o : pair.overflowing) {
    Encoding n = *e;
    MergeEncodings(&n, other_o, growing_offsets);
    overflowings.push_back(std::move(n));
  }
  auto append = [](auto* to, auto& from) { to->insert(to->end(), from.begin(), from.end()); };
  append(&e->ids, pair.ids);
  append(&e->type_ids, pair.type_ids);
  append(&e->tokens, pair.tokens);
  size_t starting = 0;
  if (growing_offsets && !e->offsets.empty()) starting = e->offsets.back().second;
  for (const auto& [s, t] : pair.offsets) e->offsets.push_back({s + starting, t + starting});
  append(&e->special_tokens_mask, pair.special_tokens_mask);
  append(&e->attention_mask, pair.attention_mask);
  e->overflowing = std::move(overflowings);
}

void PadEncoding(Encoding* e, size_t target_length, int32_t pad_id, int32_t pad_type_id,
                 const std::string& pad_token, PaddingDirection direction) {
  for (Encoding& o : e->overflowing) PadEncoding(&o, target_length, pad_id, pad_type_id, pad_token, direction);
  if (e->ids.size() >= target_length) return;
  const size_t n = target_length - e->ids.size();
  auto pad = [&](auto* v, auto value) {
    if (direction == PaddingDirection::kLeft) {
      v->insert(v->begin(), n, value);
    } else {
      v->insert(v->end(), n, value);
    }
  };
  pad(&e->ids, pad_id);
  pad(&e->type_ids, pad_type_id);
  pad(&e->tokens, pad_token);
  pad(&e->attention_mask, uint8_t{0});
  pad(&e->special_tokens_mask, uint8_t{1});
  pad(&e->offsets, std::pair<size_t, size_t>{0, 0});
}

Status TruncateEncodings(Encoding* e, Encoding* pair, const TruncationParams& params) {
  if (params.max_length == 0) {
    IMI_RETURN_IF_ERROR(TruncateEncoding(e, 0, params.stride, params.direction));
    if (pair != nullptr) IMI_RETURN_IF_ERROR(TruncateEncoding(pair, 0, params.stride, params.direction));
    return Status::Ok();
  }
  const size_t total = e->ids.size() + (pair != nullptr ? pair->ids.size() : 0);
  if (total <= params.max_length) return Status::Ok();
  const size_t to_remove = total - params.max_length;
  switch (params.strategy) {
    case TruncationStrategy::kLongestFirst: {
      if (pair == nullptr) {
        return TruncateEncoding(e, total - to_remove, params.stride, params.direction);
      }
      size_t n1 = e->ids.size();
      size_t n2 = pair->ids.size();
      bool swap = false;
      if (n1 > n2) {
        swap = true;
        std::swap(n1, n2);
      }
      if (n1 > params.max_length) {
        n2 = n1;
      } else {
        n2 = std::max(n1, params.max_length - n1);
      }
      if (n1 + n2 > params.max_length) {
        n1 = params.max_length / 2;
        n2 = n1 + params.max_length % 2;
      }
      if (swap) std::swap(n1, n2);
      IMI_RETURN_IF_ERROR(TruncateEncoding(e, n1, params.stride, params.direction));
      return TruncateEncoding(pair, n2, params.stride, params.direction);
    }
    case TruncationStrategy::kOnlyFirst:
    case TruncationStrategy::kOnlySecond: {
      Encoding* target = e;
      if (params.strategy == TruncationStrategy::kOnlySecond) {
        if (pair == nullptr) {
          return Status::InvalidArgument("truncation strategy only_second needs a second sequence");
        }
        target = pair;
      }
      const size_t target_len = target->ids.size();
      if (target_len <= to_remove) {
        return Status::InvalidArgument(
            "truncation error: sequence to truncate is too short to respect max_length");
      }
      return TruncateEncoding(target, target_len - to_remove, params.stride, params.direction);
    }
  }
  return Status::Ok();
}

void PadEncodings(std::vector<Encoding>* encodings, const PaddingParams& params) {
  if (encodings->empty()) return;
  size_t length = 0;
  if (params.fixed_length) {
    length = *params.fixed_length;
  } else {
    for (const Encoding& e : *encodings) length = std::max(length, e.ids.size());
  }
  if (params.pad_to_multiple_of && *params.pad_to_multiple_of > 0 &&
      length % *params.pad_to_multiple_of > 0) {
    length += *params.pad_to_multiple_of - length % *params.pad_to_multiple_of;
  }
  for (Encoding& e : *encodings) {
    PadEncoding(&e, length, params.pad_id, params.pad_type_id, params.pad_token, params.direction);
  }
}

}  // namespace imi::tokenizer
