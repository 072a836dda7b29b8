#include "store/metric.h"

#include <cctype>
#include <cmath>

namespace imi::store {

Result<Metric> ParseMetric(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "cosine") return Metric::kCosine;
  if (lower == "l2" || lower == "euclidean") return Metric::kL2;
  if (lower == "ip" || lower == "dot" || lower == "inner_product") return Metric::kIp;
  if (lower == "l1" || lower == "manhattan") return Metric::kL1;
  return Status::InvalidArgument("unknown metric \"" + std::string(name) +
                                 "\"; use one of cosine, l2, ip, l1");
}

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCosine: return "cosine";
    case Metric::kL2: return "l2";
    case Metric::kIp: return "ip";
    case Metric::kL1: return "l1";
  }
  return "cosine";
}

bool HigherIsBetter(Metric metric) { return metric == Metric::kCosine || metric == Metric::kIp; }

bool RanksBefore(Metric metric, double a, double b) { return HigherIsBetter(metric) ? a > b : a < b; }

double Score(Metric metric, const float* a, const float* b, size_t dim) {
  switch (metric) {
    case Metric::kCosine: {
      double dot = 0, na = 0, nb = 0;
      for (size_t i = 0; i < dim; ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
      }
      if (na == 0 || nb == 0) return 0;
      return dot / std::sqrt(na * nb);
    }
    case Metric::kL2: {
      double sum = 0;
      for (size_t i = 0; i < dim; ++i) {
        double d = static_cast<double>(a[i]) - b[i];
        sum += d * d;
      }
      return std::sqrt(sum);
    }
    case Metric::kIp: {
      double dot = 0;
      for (size_t i = 0; i < dim; ++i) dot += static_cast<double>(a[i]) * b[i];
      return dot;
    }
    case Metric::kL1: {
      double sum = 0;
      for (size_t i = 0; i < dim; ++i) sum += std::fabs(static_cast<double>(a[i]) - b[i]);
      return sum;
    }
  }
  return 0;
}

}  // namespace imi::store
