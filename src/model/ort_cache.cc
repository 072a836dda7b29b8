#include "model/ort_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

namespace imi::model {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime1;
  h ^= h >> 32;
  return h;
}

uint64_t LoadWord(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

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

Result<MappedFile> MappedFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no file at " + path);
    return Status::Internal("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return Status::Internal("cannot map " + path + ": empty or unreadable");
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return Status::Internal("cannot map " + path + ": " + std::strerror(errno));
  MappedFile file;
  file.data_ = static_cast<const uint8_t*>(p);
  file.size_ = static_cast<size_t>(st.st_size);
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

uint64_t ContentHash64(const uint8_t* data, size_t size) {
  uint64_t lanes[4] = {kPrime1, kPrime2, kPrime1 ^ 0x1234567ULL, kPrime2 ^ 0x7654321ULL};
  size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    for (int k = 0; k < 4; ++k) {
      lanes[k] = Rotl(lanes[k] ^ (LoadWord(data + i + 8 * k) * kPrime2), 31) * kPrime1;
    }
  }
  uint64_t h = static_cast<uint64_t>(size) * kPrime1;
  for (uint64_t lane : lanes) h = Mix(h ^ Mix(lane));
  for (; i < size; ++i) h = Mix(h ^ (data[i] + 1));
  return h;
}

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
