#include "lexical/sparse_vector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>

namespace imi::lexical {

Status CanonicalizeSparse(SparseVector* v, std::string_view field) {
  const std::string where(field);
  if (v->indices.size() != v->values.size()) {
    return Status::InvalidArgument("'" + where + "' has " + std::to_string(v->indices.size()) + " indices but " +
                                   std::to_string(v->values.size()) + " values");
  }
  if (v->indices.size() > kSparseMaxNonZero) {
    return Status::TooLarge("'" + where + "' has " + std::to_string(v->indices.size()) +
                            " entries; at most " + std::to_string(kSparseMaxNonZero) + " are allowed");
  }
  for (size_t i = 0; i < v->indices.size(); ++i) {
    if (v->indices[i] > kSparseMaxIndex) {
      return Status::InvalidArgument("'" + where + ".indices[" + std::to_string(i) + "]' is " +
                                     std::to_string(v->indices[i]) + "; indices must be below 1000000000");
    }
    if (!std::isfinite(v->values[i]) || std::fabs(v->values[i]) > kSparseMaxAbsValue) {
      return Status::InvalidArgument("'" + where + ".values[" + std::to_string(i) +
                                     "]' must be a finite number of magnitude at most 1e15");
    }
  }
  std::vector<size_t> order(v->indices.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [v](size_t a, size_t b) { return v->indices[a] < v->indices[b]; });
  SparseVector out;
  out.indices.reserve(order.size());
  out.values.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    if (k > 0 && v->indices[i] == v->indices[order[k - 1]]) {
      return Status::InvalidArgument("'" + where + ".indices' holds " + std::to_string(v->indices[i]) + " twice");
    }
    if (v->values[i] == 0.0f) continue;
    out.indices.push_back(v->indices[i]);
    out.values.push_back(v->values[i]);
  }
  *v = std::move(out);
  return Status::Ok();
}

Result<SparseVector> SparseFromJson(const nlohmann::json& value, std::string_view field) {
  const std::string where(field);
  if (!value.is_object()) {
    return Status::InvalidArgument("'" + where + "' must be an object {\"indices\": [...], \"values\": [...]}");
  }
  auto indices = value.find("indices");
  auto values = value.find("values");
  if (indices == value.end() || values == value.end() || !indices->is_array() || !values->is_array()) {
    return Status::InvalidArgument("'" + where + "' needs the arrays \"indices\" and \"values\"");
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "indices" && key != "values") {
      return Status::InvalidArgument("'" + where + "' has an unknown field \"" + key + "\"");
    }
  }
  if (indices->size() > kSparseMaxNonZero || values->size() > kSparseMaxNonZero) {
    return Status::TooLarge("'" + where + "' has more than " + std::to_string(kSparseMaxNonZero) + " entries");
  }
  SparseVector v;
  for (size_t i = 0; i < indices->size(); ++i) {
    const nlohmann::json& x = (*indices)[i];
    if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > static_cast<int64_t>(kSparseMaxIndex)) {
      return Status::InvalidArgument("'" + where + ".indices[" + std::to_string(i) +
                                     "]' must be an integer from 0 to 999999999");
    }
    v.indices.push_back(static_cast<uint32_t>(x.get<int64_t>()));
  }
  for (size_t i = 0; i < values->size(); ++i) {
    const nlohmann::json& x = (*values)[i];
    if (!x.is_number()) {
      return Status::InvalidArgument("'" + where + ".values[" + std::to_string(i) + "]' must be a number");
    }
    v.values.push_back(static_cast<float>(x.get<double>()));
  }
  IMI_RETURN_IF_ERROR(CanonicalizeSparse(&v, field));
  return v;
}

nlohmann::json SparseToJson(const SparseVector& v) {
  return nlohmann::json{{"indices", v.indices}, {"values", v.values}};
}

float SparseDot(const SparseVector& a, const SparseVector& b) {
  float sum = 0.0f;
  size_t i = 0, j = 0;
  while (i < a.indices.size() && j < b.indices.size()) {
    if (a.indices[i] == b.indices[j]) {
      const float product = a.values[i] * b.values[j];
      sum += product;
      ++i;
      ++j;
    } else if (a.indices[i] < b.indices[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return sum;
}

std::string SparseLiteral(const SparseVector& v) {
  std::string out = "{";
  char buf[48];
  for (size_t i = 0; i < v.indices.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%u:%.9g", i ? "," : "", v.indices[i] + 1, static_cast<double>(v.values[i]));
    out += buf;
  }
  out += "}/1000000000";
  return out;
}

std::string EncodeSparse(const SparseVector& v) {
  std::string out(v.indices.size() * 8, '\0');
  for (size_t i = 0; i < v.indices.size(); ++i) {
    std::memcpy(&out[i * 8], &v.indices[i], 4);
    std::memcpy(&out[i * 8 + 4], &v.values[i], 4);
  }
  return out;
}

Status DecodeSparse(std::string_view blob, SparseVector* out) {
  if (blob.size() % 8 != 0) return Status::DataLoss("corrupt sparse vector");
  const size_t n = blob.size() / 8;
  out->indices.resize(n);
  out->values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(&out->indices[i], blob.data() + i * 8, 4);
    std::memcpy(&out->values[i], blob.data() + i * 8 + 4, 4);
    if (i > 0 && out->indices[i] <= out->indices[i - 1]) return Status::DataLoss("corrupt sparse vector");
  }
  return Status::Ok();
}

}  // namespace imi::lexical
