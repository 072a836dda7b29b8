#ifndef IMI_BASE_CONTENT_HASH_MEMO_H_
#define IMI_BASE_CONTENT_HASH_MEMO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace imi {

// A file's ContentHash64, and what a memo of it needs.
struct FileContentHash {
  uint64_t hash = 0;
  uint64_t size = 0;
  bool remembered = false;  // read from a memo, the file itself was not read
  std::string memo_name;    // empty for files too small for a memo
  uint64_t fingerprint = 0;
};

// The ContentHash64 of the file at `path` without reading the whole file
// when a memo says it: a memo "<file name>.<size>-<mtime in ns>.hash" in one
// of `memo_dirs` records the hash for that size and modification time,
// with a fingerprint of 64 blocks of 4 KiB spread over the file that must
// still match (docs/deploy.md, "Cold start"). Otherwise the file is hashed
// whole. Files of 1 MiB or less are always hashed whole. What a memo cannot
// see: an edit that keeps the size and the nanosecond mtime (`touch -d`
// back to the old time) and touches none of the sampled blocks; delete the
// cache directory after such edits. NotFound or Internal when the file
// cannot be read.
Result<FileContentHash> HashFileWithMemo(const std::string& path, const std::vector<std::string>& memo_dirs);

// Leaves a memo of `hash` (from HashFileWithMemo) in `dir`, atomically,
// unless it came from one or the file is too small; failing to write it is
// not an error (a memo only saves time). Callers write one beside a cache
// entry they wrote or read, so memos never outnumber caches.
void WriteHashMemo(const std::string& dir, const FileContentHash& hash);

}  // namespace imi

#endif  // IMI_BASE_CONTENT_HASH_MEMO_H_
