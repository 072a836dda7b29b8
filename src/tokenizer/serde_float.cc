#include "tokenizer/serde_float.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace imi::tokenizer {
namespace {

// 1e0 .. 1e308, each the correctly rounded double (as Rust's POW10 table).
const std::array<double, 309>& Pow10() {
  static const std::array<double, 309> table = [] {
    std::array<double, 309> t{};
    for (int i = 0; i <= 308; ++i) {
      char buf[8];
      auto [end, ec] = std::to_chars(buf + 2, buf + sizeof(buf), i);
      (void)ec;
      buf[0] = '1';
      buf[1] = 'e';
      double v = 0;
      std::from_chars(buf, end, v);
      t[i] = v;
    }
    return t;
  }();
  return table;
}

// serde_json's f64_from_parts.
double FromParts(bool positive, uint64_t significand, int exponent) {
  double f = static_cast<double>(significand);
  const auto& pow10 = Pow10();
  while (true) {
    const int magnitude = std::abs(exponent);
    if (magnitude <= 308) {
      if (exponent >= 0) {
        f *= pow10[magnitude];
      } else {
        f /= pow10[magnitude];
      }
      break;
    }
    if (f == 0.0) break;
    if (exponent >= 0) {
      f = std::numeric_limits<double>::infinity();
      break;
    }
    f /= 1e308;
    exponent += 308;
  }
  return positive ? f : -f;
}

}  // namespace

double SerdeJsonF64(double value) {
  if (!std::isfinite(value) || value == 0.0) return value;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) return value;
  // Digits and decimal exponent of the shortest form, e.g. "-1.25e-07".
  const char* p = buf;
  bool positive = true;
  if (*p == '-') {
    positive = false;
    ++p;
  }
  uint64_t significand = 0;
  int exponent = 0;
  bool after_point = false;
  for (; p < end && *p != 'e'; ++p) {
    if (*p == '.') {
      after_point = true;
      continue;
    }
    significand = significand * 10 + static_cast<uint64_t>(*p - '0');
    if (after_point) --exponent;
  }
  if (p < end && *p == 'e') {
    int e = 0;
    std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, e);
    exponent += e;
  }
  return FromParts(positive, significand, exponent);
}

}  // namespace imi::tokenizer
