#ifndef IMI_TOKENIZER_TOKENIZER_CACHE_H_
#define IMI_TOKENIZER_TOKENIZER_CACHE_H_

// The binary tokenizer cache (docs/deploy.md "Cold start"; the format is
// documented, with its version, in docs/tokenizer-cache.md): a 250k-piece
// Unigram tokenizer.json (XLM-R, multilingual-e5, bge-m3, multilingual
// MiniLM) takes about a second of CPU and 200 MB to parse into a JSON DOM
// and a vocabulary. The cache file holds the same tokenizer.json with the
// model's vocabulary left out (small; parsed as JSON as usual) and the
// vocabulary in flat arrays (pieces, offsets, scores, the byte trie's nodes
// and edges), copied into place with memcpy. One file per tokenizer.json
// content and format version, written atomically; a file that is truncated,
// corrupt (checksum), of another version or for another tokenizer.json is
// ignored and rebuilt, never trusted. Only Unigram models are cached;
// WordPiece, BPE and WordLevel tokenizers load from their JSON every time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "tokenizer/tokenizer.h"

namespace imi::tokenizer {

// The cache format version: part of every file's name and header. Raise it
// whenever the layout or the meaning of a field (or a model's behaviour on
// the same arrays) changes.
inline constexpr uint32_t kTokenizerCacheVersion = 1;

// What a cache file was made from: the tokenizer.json's ContentHash64 and
// size in bytes.
struct TokenizerCacheKey {
  uint64_t content_hash = 0;
  uint64_t size = 0;
};

// The key of tokenizer.json bytes.
TokenizerCacheKey TokenizerCacheKeyOf(std::string_view json);

// "<json file name>.<16 hex digits of the hash>-<size>.tok<version>".
std::string TokenizerCacheFileName(std::string_view json_file_name, const TokenizerCacheKey& key);

// The cache file's bytes for `tokenizer`, which was built from the parsed
// tokenizer.json `*root` whose bytes have `key`. Takes the model's
// vocabulary out of *root (it becomes []). Unsupported when the model is
// not Unigram (or the tokenizer not one FromJson/FromFile made).
Result<std::string> EncodeTokenizerCache(const TokenizerCacheKey& key, nlohmann::json* root,
                                         const Tokenizer& tokenizer);

// The tokenizer in cache file bytes `data[0, size)`. With `expected`, the
// header's key must equal it. DataLoss saying what is wrong when the bytes
// are truncated, corrupt, of another format version or byte order, or for
// another tokenizer.json; never reads outside the bytes, never allocates
// more than about their size. `source_name` names the tokenizer in
// messages. With `keep` (which must own `data`, 8-byte aligned, e.g. a
// mapped file), the vocabulary trie is used in place and `keep` is held as
// long as the tokenizer; without it everything is copied.
Result<std::unique_ptr<Tokenizer>> DecodeTokenizerCache(const uint8_t* data, size_t size,
                                                        const TokenizerCacheKey* expected,
                                                        std::string_view source_name,
                                                        std::shared_ptr<const void> keep = nullptr);

// Whether LoadTokenizerCached(path, read_dirs, ...) will need little
// memory: the tokenizer.json is at most 4 MiB, or its hash memo and a cache
// file for it are in `read_dirs` (found without reading the JSON). False
// when in doubt (then the load builds a JSON DOM of the whole file).
bool TokenizerLoadIsLight(const std::string& path, const std::vector<std::string>& read_dirs);

// How LoadTokenizerCached went.
struct TokenizerCacheInfo {
  bool hit = false;      // loaded from the cache file
  bool written = false;  // the cache file was written by this load
  std::string file;      // the cache file read or written; empty when none
  std::string note;      // why a cache file was ignored or not written; empty when all went well
};

// Loads the tokenizer.json at `path` (a file, or a directory holding one) as
// Tokenizer::FromFile does, through the cache: from
// `<dir>/TokenizerCacheFileName(...)` of the first of `read_dirs` where that
// file is valid for the tokenizer.json's current bytes, else from the JSON;
// then, when `write_dir` is not empty, writes the cache file there (the
// directory is created; a temporary name renamed into place). A cache file
// that is unusable or cannot be written is logged (base/log.h, component
// "tokenizer") and noted in *info, never an error: the errors are FromFile's.
// No directories: no cache. The result encodes exactly as FromFile's. `info`
// may be null.
Result<std::unique_ptr<Tokenizer>> LoadTokenizerCached(const std::string& path,
                                                       const std::vector<std::string>& read_dirs,
                                                       const std::string& write_dir, TokenizerCacheInfo* info);

}  // namespace imi::tokenizer

#endif  // IMI_TOKENIZER_TOKENIZER_CACHE_H_
