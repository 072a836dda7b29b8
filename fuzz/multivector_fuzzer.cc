// libFuzzer target for the stored ColBERT blob (store/multivector.h) and
// PostgreSQL's bytea text form (store/postgres/pg_colbert.h). Checks: a
// Status or a value, never a crash; a decoded blob has dim in bounds, whole
// rows and finite values; it re-encodes as float32 and
// decodes to the same floats; MaxSim of it with itself is finite; a bytea
// text that parses prints back to the same text (lower-case hex).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/multivector.h"
#include "store/postgres/pg_colbert.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  imi::store::MultiVector v;
  if (imi::store::DecodeMultiVector(input, &v).ok()) {
    Check(v.dim >= 1 && v.dim <= imi::store::kMaxMultiVectorDim);
    Check(v.values.size() % v.dim == 0 && v.rows() <= imi::store::kMaxMultiVectorRows);
    imi::store::MultiVector back;
    Check(imi::store::DecodeMultiVector(imi::store::EncodeMultiVector(v, imi::store::MultiVectorEncoding::kFloat32),
                                        &back)
              .ok());
    Check(back.dim == v.dim && back.values.size() == v.values.size());
    for (size_t i = 0; i < v.values.size(); ++i) {
      Check(std::isfinite(v.values[i]) && v.values[i] == back.values[i]);
    }
    if (v.rows() <= 64) (void)imi::store::MaxSim(v, v);
  }
  const std::string text(input);
  auto bytes = imi::store::pg_colbert::ParseBytea(text);
  if (bytes.ok()) {
    static const char kHex[] = "0123456789abcdef";
    std::string printed = "\\x";
    for (unsigned char c : *bytes) {
      printed += kHex[c >> 4];
      printed += kHex[c & 15];
    }
    std::string lower = text;
    for (char& c : lower) c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
    Check(printed == lower);
  }
  return 0;
}
