#include "model/ort_cache.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace imi::model {
namespace {

namespace fs = std::filesystem;

// True when `dir` exists (or can be created) and a file can be made in it.
bool Writable(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) return false;
  return ::access(dir.c_str(), W_OK | X_OK) == 0;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::string OrtCacheFileName(std::string_view model_file_name, uint64_t content_hash, size_t size,
                             std::string_view ort_version, std::string_view cpu) {
  // The setting part is hashed so that the name stays short and free of spaces.
  const std::string setting = std::string(ort_version) + "|" + std::string(cpu);
  const uint64_t setting_hash =
      ContentHash64(reinterpret_cast<const uint8_t*>(setting.data()), setting.size());
  char key[64];
  std::snprintf(key, sizeof(key), "%016llx-%zu-%012llx", static_cast<unsigned long long>(content_hash), size,
                static_cast<unsigned long long>(setting_hash & 0xFFFFFFFFFFFFULL));
  return std::string(model_file_name) + "." + key + ".ort";
}

namespace {

// Every place a cache may live, in the order of ort_cache.h.
std::vector<fs::path> CandidateDirs(const std::string& model_path) {
  std::vector<fs::path> dirs{fs::path(model_path).parent_path() / ".imi-cache"};
  if (const std::string dir = Env("IMI_CACHE_DIR"); !dir.empty()) dirs.emplace_back(dir);
  if (const std::string xdg = Env("XDG_CACHE_HOME"); !xdg.empty()) dirs.push_back(fs::path(xdg) / "imi/ort");
  if (const std::string home = Env("HOME"); !home.empty()) dirs.push_back(fs::path(home) / ".cache/imi/ort");
  return dirs;
}

}  // namespace

std::vector<std::string> OrtCacheSearchDirs(const std::string& model_path) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::path& dir : CandidateDirs(model_path)) {
    if (fs::is_directory(dir, ec)) out.push_back(dir.string());
  }
  return out;
}

std::string DefaultOrtCacheDir(const std::string& model_path) {
  for (const fs::path& dir : CandidateDirs(model_path)) {
    if (Writable(dir)) return dir.string();
  }
  return "";
}

}  // namespace imi::model
