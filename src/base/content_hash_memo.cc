#include "base/content_hash_memo.h"

#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "base/file.h"
#include "base/mapped_file.h"

namespace imi {
namespace {

namespace fs = std::filesystem;

constexpr char kMemoHeader[] = "imi content hash 2 ";
constexpr uint64_t kMemoMinSize = 1 << 20;
constexpr size_t kSampleBlocks = 64;
constexpr size_t kSampleBlock = 4096;

std::string MemoName(const std::string& path, uint64_t size, int64_t mtime_ns) {
  return fs::path(path).filename().string() + "." + std::to_string(size) + "-" + std::to_string(mtime_ns) +
         ".hash";
}

// ContentHash64 of kSampleBlocks blocks evenly spread from the first to the
// last kSampleBlock bytes (size > kMemoMinSize).
uint64_t SampleFingerprint(const MappedFile& file) {
  std::string sample;
  sample.reserve(kSampleBlocks * kSampleBlock);
  const size_t last = file.size() - kSampleBlock;
  for (size_t i = 0; i < kSampleBlocks; ++i) {
    const size_t offset = i == kSampleBlocks - 1 ? last : last / (kSampleBlocks - 1) * i;
    sample.append(reinterpret_cast<const char*>(file.data()) + offset, kSampleBlock);
  }
  return ContentHash64(reinterpret_cast<const uint8_t*>(sample.data()), sample.size());
}

std::string Hex(uint64_t value) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, value);
  return hex;
}

bool ParseHex(std::string_view text, uint64_t* value) {
  if (text.size() != 16) return false;
  uint64_t v = 0;
  for (const char c : text) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    v = v << 4 | static_cast<uint64_t>(digit);
  }
  *value = v;
  return true;
}

// "imi content hash 2 <hash, 16 hex digits> <fingerprint, 16 hex>\n" and
// nothing else.
bool ParseMemo(const std::string& text, uint64_t* hash, uint64_t* fingerprint) {
  const size_t header = sizeof(kMemoHeader) - 1;
  if (text.size() != header + 34 || text.compare(0, header, kMemoHeader) != 0 || text[header + 16] != ' ' ||
      text.back() != '\n') {
    return false;
  }
  const std::string_view view(text);
  return ParseHex(view.substr(header, 16), hash) && ParseHex(view.substr(header + 17, 16), fingerprint);
}

}  // namespace

Result<FileContentHash> HashFileWithMemo(const std::string& path, const std::vector<std::string>& memo_dirs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("no file at " + path);
    return Status::Internal("cannot read " + path + ": " + std::strerror(errno));
  }
  IMI_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  FileContentHash result;
  result.size = file.size();
  if (result.size <= kMemoMinSize || result.size != static_cast<uint64_t>(st.st_size)) {
    result.hash = ContentHash64(file.data(), file.size());
    return result;
  }
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  result.memo_name = MemoName(path, result.size, mtime_ns);
  result.fingerprint = SampleFingerprint(file);
  std::error_code ec;
  for (const std::string& dir : memo_dirs) {
    const std::string memo = (fs::path(dir) / result.memo_name).string();
    if (!fs::is_regular_file(memo, ec)) continue;
    Result<std::string> text = ReadFileToString(memo);
    uint64_t remembered_fingerprint = 0;
    if (text.ok() && ParseMemo(*text, &result.hash, &remembered_fingerprint) &&
        remembered_fingerprint == result.fingerprint) {
      result.remembered = true;
      return result;
    }
  }
  result.hash = ContentHash64(file.data(), file.size());
  return result;
}

void WriteHashMemo(const std::string& dir, const FileContentHash& hash) {
  if (dir.empty() || hash.remembered || hash.memo_name.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  (void)WriteFileAtomically((fs::path(dir) / hash.memo_name).string(),
                            std::string(kMemoHeader) + Hex(hash.hash) + " " + Hex(hash.fingerprint) + "\n");
}

}  // namespace imi
