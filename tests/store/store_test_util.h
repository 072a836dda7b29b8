#ifndef IMI_TESTS_STORE_STORE_TEST_UTIL_H_
#define IMI_TESTS_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "store/vector_store.h"

namespace imi::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/imi-store-test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline nlohmann::json LoadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline std::string DataDir() { return std::string(IMI_SOURCE_DIR) + "/tests/data/store"; }

// A collection name unique to this process and call, so runs against a
// shared PostgreSQL never collide.
inline std::string UniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  return base + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
}

inline std::vector<float> RandomVector(std::mt19937* rng, int dim) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(dim));
  for (float& x : v) x = dist(*rng);
  return v;
}

// A one-chunk document.
inline Document Doc(std::string id, std::vector<float> vector, nlohmann::json metadata = nlohmann::json::object(),
                    std::string text = "") {
  Document doc;
  doc.id = std::move(id);
  doc.text = text.empty() ? "text of " + doc.id : text;
  doc.metadata = std::move(metadata);
  Chunk chunk;
  chunk.ordinal = 0;
  chunk.text = doc.text;
  chunk.end_offset = static_cast<int64_t>(doc.text.size());
  chunk.vector = std::move(vector);
  doc.chunks.push_back(std::move(chunk));
  return doc;
}

}  // namespace imi::store::testing

#endif  // IMI_TESTS_STORE_STORE_TEST_UTIL_H_
