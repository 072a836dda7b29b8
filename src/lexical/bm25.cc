#include "lexical/bm25.h"

#include <algorithm>
#include <map>

namespace imi::lexical {

namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

Status ValidateBm25(const Bm25Params& params) {
  if (!std::isfinite(params.k1) || params.k1 < 0 || params.k1 > 1000) {
    return Status::InvalidArgument("BM25 k1 must be a finite number between 0 and 1000, got " +
                                   std::to_string(params.k1));
  }
  if (!(params.b >= 0 && params.b <= 1)) {
    return Status::InvalidArgument("BM25 b must be between 0 and 1, got " + std::to_string(params.b));
  }
  return Status::Ok();
}

std::vector<QueryTerm> CountQueryTerms(const std::vector<analysis::Token>& tokens) {
  std::map<std::string, int64_t> counts;
  for (const analysis::Token& t : tokens) ++counts[t.term];
  std::vector<QueryTerm> out;
  out.reserve(counts.size());
  for (auto& [term, count] : counts) out.push_back({term, count});
  return out;
}

TermCounts CountTerms(const std::vector<analysis::Token>& tokens) {
  std::map<std::string, uint32_t> counts;
  for (const analysis::Token& t : tokens) ++counts[t.term];
  TermCounts out;
  out.length = static_cast<uint32_t>(tokens.size());
  out.terms.assign(counts.begin(), counts.end());
  return out;
}

std::string EncodeTermCounts(const TermCounts& counts) {
  std::string out;
  PutVarint(&out, counts.terms.size());
  for (const auto& [term, tf] : counts.terms) {
    PutVarint(&out, term.size());
    out += term;
    PutVarint(&out, tf);
  }
  return out;
}

Status DecodeTermCounts(std::string_view blob, TermCounts* out) {
  out->terms.clear();
  out->length = 0;
  size_t pos = 0;
  uint64_t n = 0;
  if (!GetVarint(blob, &pos, &n) || n > blob.size()) return Status::DataLoss("corrupt term list");
  out->terms.reserve(n);
  uint64_t length = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t bytes = 0, tf = 0;
    if (!GetVarint(blob, &pos, &bytes) || bytes > blob.size() - pos) return Status::DataLoss("corrupt term list");
    std::string term(blob.substr(pos, bytes));
    pos += bytes;
    if (!GetVarint(blob, &pos, &tf) || tf == 0 || tf > UINT32_MAX) return Status::DataLoss("corrupt term list");
    length += tf;
    out->terms.emplace_back(std::move(term), static_cast<uint32_t>(tf));
  }
  if (pos != blob.size() || length > UINT32_MAX) return Status::DataLoss("corrupt term list");
  out->length = static_cast<uint32_t>(length);
  return Status::Ok();
}

}  // namespace imi::lexical
