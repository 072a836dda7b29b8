#include "tokenizer/tokenizer_cache.h"

#include <array>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <filesystem>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/content_hash_memo.h"
#include "base/mapped_file.h"
#include "tokenizer/byte_trie.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/loader.h"
#include "tokenizer/unigram.h"

namespace imi::tokenizer {
namespace {

namespace fs = std::filesystem;

// Layout (docs/tokenizer-cache.md), all integers in the writer's byte order
// (checked through kByteOrder):
//   header, 64 bytes: magic "IMITOKC\0", u32 version, u32 byte order mark,
//     u64 source hash, u64 source size, u32 model kind, u32 piece count,
//     u64 JSON bytes, u64 piece bytes, u32 trie nodes, u32 trie edges;
//   sections, each padded with zeros to a multiple of 8 bytes: the JSON
//     without the vocabulary, the pieces, u32 offsets[pieces + 1],
//     f64 scores[pieces], i32 root_next[256], nodes {i32 value, u32 begin,
//     u32 count}, edges {u8 byte, 3 zero bytes, i32 child};
//   trailer: u64 ContentHash64 of every byte before it.
constexpr char kMagic[8] = {'I', 'M', 'I', 'T', 'O', 'K', 'C', '\0'};
constexpr uint32_t kByteOrder = 0x01020304;
constexpr uint32_t kUnigramKind = 1;
constexpr size_t kHeaderSize = 64;
// A tokenizer.json up to this size loads with a modest JSON DOM.
constexpr uintmax_t kLightTokenizerBytes = 4 << 20;

static_assert(sizeof(ByteTrie::Node) == 12 && std::is_trivially_copyable_v<ByteTrie::Node>);
static_assert(sizeof(ByteTrie::Edge) == 8 && offsetof(ByteTrie::Edge, child) == 4);
static_assert(sizeof(double) == 8);

size_t Padded(size_t n) { return (n + 7) & ~size_t{7}; }

class Writer {
 public:
  template <typename T>
  void Put(T value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof(value));
  }
  void Bytes(const void* data, size_t n) { out_.append(static_cast<const char*>(data), n); }
  void Align() { out_.append(Padded(out_.size()) - out_.size(), '\0'); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Bounds-checked reads from the cache bytes.
class Reader {
 public:
  explicit Reader(const uint8_t* data) : data_(data) {}
  template <typename T>
  T Get() {
    T value{};
    std::memcpy(&value, data_ + pos_, sizeof(T));  // callers checked the whole size first
    pos_ += sizeof(T);
    return value;
  }
  const uint8_t* Take(size_t n) {
    const uint8_t* p = data_ + pos_;
    pos_ = Padded(pos_ + n);
    return p;
  }

 private:
  const uint8_t* data_;
  size_t pos_ = 0;
};

Status Corrupt(std::string_view what) { return Status::DataLoss("tokenizer cache: " + std::string(what)); }

}  // namespace

TokenizerCacheKey TokenizerCacheKeyOf(std::string_view json) {
  return TokenizerCacheKey{ContentHash64(reinterpret_cast<const uint8_t*>(json.data()), json.size()), json.size()};
}

std::string TokenizerCacheFileName(std::string_view json_file_name, const TokenizerCacheKey& key) {
  char tail[80];
  std::snprintf(tail, sizeof(tail), ".%016" PRIx64 "-%" PRIu64 ".tok%" PRIu32, key.content_hash, key.size,
                kTokenizerCacheVersion);
  return std::string(json_file_name) + tail;
}

Result<std::string> EncodeTokenizerCache(const TokenizerCacheKey& key, nlohmann::json* root,
                                         const Tokenizer& tokenizer) {
  const auto* hf = dynamic_cast<const HfTokenizer*>(&tokenizer);
  const auto* unigram = hf == nullptr ? nullptr : dynamic_cast<const UnigramModel*>(&hf->model());
  if (unigram == nullptr) return Status::Unsupported("only Unigram vocabularies are cached");
  const UnigramModel::Vocab& vocab = unigram->vocab();
  std::string json;
  try {
    auto model = root->find("model");
    if (model == root->end() || !model->is_object()) return Status::InvalidArgument("no \"model\" object");
    (*model)["vocab"] = nlohmann::json::array();
    json = root->dump();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("cannot write the tokenizer without its vocabulary: ") + e.what());
  }
  const ByteTrie& trie = vocab.trie;
  if (vocab.size() > UINT32_MAX - 1 || trie.nodes().size() > UINT32_MAX || trie.edges().size() > UINT32_MAX) {
    return Status::Unsupported("the vocabulary is too large to cache");
  }

  Writer w;
  w.Bytes(kMagic, sizeof(kMagic));
  w.Put<uint32_t>(kTokenizerCacheVersion);
  w.Put<uint32_t>(kByteOrder);
  w.Put<uint64_t>(key.content_hash);
  w.Put<uint64_t>(key.size);
  w.Put<uint32_t>(kUnigramKind);
  w.Put<uint32_t>(static_cast<uint32_t>(vocab.size()));
  w.Put<uint64_t>(json.size());
  w.Put<uint64_t>(vocab.pieces.size());
  w.Put<uint32_t>(static_cast<uint32_t>(trie.nodes().size()));
  w.Put<uint32_t>(static_cast<uint32_t>(trie.edges().size()));
  w.Bytes(json.data(), json.size());
  w.Align();
  w.Bytes(vocab.pieces.data(), vocab.pieces.size());
  w.Align();
  w.Bytes(vocab.offsets.data(), vocab.offsets.size() * sizeof(uint32_t));
  w.Align();
  w.Bytes(vocab.scores.data(), vocab.scores.size() * sizeof(double));
  w.Bytes(trie.root_next().data(), trie.root_next().size() * sizeof(int32_t));
  w.Bytes(trie.nodes().data(), trie.nodes().size() * sizeof(ByteTrie::Node));
  w.Align();
  // Field by field: the struct's padding bytes would make the file differ
  // from one write to the next.
  for (const ByteTrie::Edge& e : trie.edges()) {
    w.Put<uint8_t>(e.byte);
    w.Bytes("\0\0\0", 3);
    w.Put<int32_t>(e.child);
  }
  const std::string& out = w.out();
  w.Put<uint64_t>(ContentHash64(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
  return std::move(w.out());
}

Result<std::unique_ptr<Tokenizer>> DecodeTokenizerCache(const uint8_t* data, size_t size,
                                                        const TokenizerCacheKey* expected,
                                                        std::string_view source_name,
                                                        std::shared_ptr<const void> keep) {
  if (size < kHeaderSize + 8) return Corrupt("shorter than its header");
  if (std::memcmp(data, kMagic, sizeof(kMagic)) != 0) return Corrupt("not a tokenizer cache file");
  Reader r(data + sizeof(kMagic));
  const auto version = r.Get<uint32_t>();
  if (version != kTokenizerCacheVersion) {
    return Corrupt("format version " + std::to_string(version) + ", this build reads " +
                   std::to_string(kTokenizerCacheVersion));
  }
  if (r.Get<uint32_t>() != kByteOrder) return Corrupt("written on a machine of another byte order");
  TokenizerCacheKey key;
  key.content_hash = r.Get<uint64_t>();
  key.size = r.Get<uint64_t>();
  if (expected != nullptr && (key.content_hash != expected->content_hash || key.size != expected->size)) {
    return Corrupt("made from another tokenizer.json");
  }
  if (r.Get<uint32_t>() != kUnigramKind) return Corrupt("unknown model kind");
  const uint64_t pieces = r.Get<uint32_t>();
  const auto json_size = r.Get<uint64_t>();
  const auto piece_bytes = r.Get<uint64_t>();
  const uint64_t nodes = r.Get<uint32_t>();
  const uint64_t edges = r.Get<uint32_t>();
  // Every count is checked against the size before anything is allocated.
  if (json_size > size || piece_bytes > size || pieces > size || nodes == 0 || nodes > size || edges > size) {
    return Corrupt("truncated (counts larger than the file)");
  }
  const uint64_t expected_size = kHeaderSize + Padded(json_size) + Padded(piece_bytes) +
                                 Padded((pieces + 1) * 4) + pieces * 8 + 256 * 4 + Padded(nodes * 12) +
                                 edges * 8 + 8;
  if (expected_size != size) return Corrupt("truncated or extended (size does not match its counts)");
  uint64_t checksum;
  std::memcpy(&checksum, data + size - 8, 8);
  if (ContentHash64(data, size - 8) != checksum) return Corrupt("checksum mismatch (corrupt file)");

  Reader body(data + kHeaderSize);
  const std::string_view json(reinterpret_cast<const char*>(body.Take(json_size)), json_size);
  const char* piece_data = reinterpret_cast<const char*>(body.Take(piece_bytes));
  const uint8_t* offset_bytes = body.Take((pieces + 1) * 4);
  const uint8_t* score_bytes = body.Take(pieces * 8);
  // In place (with a keeper, from 8-byte aligned bytes: every section is
  // 8-byte aligned, and the trie's edges are stored in ByteTrie::Edge's
  // layout: byte, 3 zero bytes, child), or copied.
  const bool in_place = keep != nullptr && reinterpret_cast<uintptr_t>(data) % 8 == 0;
  UnigramModel::Vocab vocab;
  if (in_place) {
    vocab.Borrow({piece_data, piece_bytes}, {reinterpret_cast<const uint32_t*>(offset_bytes), pieces + 1},
                 {reinterpret_cast<const double*>(score_bytes), pieces}, keep);
  } else {
    std::vector<uint32_t> offsets(pieces + 1);
    std::memcpy(offsets.data(), offset_bytes, (pieces + 1) * 4);
    std::vector<double> scores(pieces);
    std::memcpy(scores.data(), score_bytes, pieces * 8);
    vocab.Assign(std::vector<char>(piece_data, piece_data + piece_bytes), std::move(offsets), std::move(scores));
  }
  std::array<int32_t, 256> root_next{};
  std::memcpy(root_next.data(), body.Take(256 * 4), 256 * 4);
  const uint8_t* node_bytes = body.Take(nodes * 12);
  const uint8_t* edge_bytes = body.Take(edges * 8);
  bool trie_ok = false;
  if (in_place) {
    trie_ok = vocab.trie.AssignBorrowed({reinterpret_cast<const ByteTrie::Node*>(node_bytes), nodes},
                                        {reinterpret_cast<const ByteTrie::Edge*>(edge_bytes), edges}, root_next,
                                        static_cast<int32_t>(pieces), std::move(keep));
  } else {
    std::vector<ByteTrie::Node> node_array(nodes);
    std::memcpy(node_array.data(), node_bytes, nodes * 12);
    std::vector<ByteTrie::Edge> edge_array(edges);
    for (uint64_t i = 0; i < edges; ++i) {
      edge_array[i].byte = edge_bytes[i * 8];
      std::memcpy(&edge_array[i].child, edge_bytes + i * 8 + 4, 4);
    }
    trie_ok = vocab.trie.AssignBuilt(std::move(node_array), std::move(edge_array), root_next,
                                     static_cast<int32_t>(pieces));
  }
  if (!trie_ok) return Corrupt("the vocabulary's trie points outside its arrays");

  try {
    Result<nlohmann::json> root = ParseTokenizerJson(json, source_name);
    if (!root.ok()) return Corrupt(root.status().message());
    if (!root->is_object()) return Corrupt("the tokenizer is not a JSON object");
    auto model_it = root->find("model");
    if (model_it == root->end() || !model_it->is_object()) return Corrupt("no \"model\" object");
    if (auto type = model_it->find("type"); type != model_it->end() && *type != "Unigram") {
      return Corrupt("the model is not Unigram");
    }
    Result<std::unique_ptr<UnigramModel>> model = UnigramModel::FromVocab(*model_it, std::move(vocab));
    if (!model.ok()) return Corrupt(model.status().message());
    Result<std::unique_ptr<Tokenizer>> tokenizer = BuildTokenizer(*root, std::move(model).value(), source_name);
    if (!tokenizer.ok()) return Corrupt(tokenizer.status().message());
    return tokenizer;
  } catch (const std::exception& e) {
    return Corrupt(e.what());
  }
}

bool TokenizerLoadIsLight(const std::string& path, const std::vector<std::string>& read_dirs) {
  Result<std::string> file = ResolveTokenizerFile(path);
  if (!file.ok()) return true;  // the load fails at once
  std::error_code ec;
  const uintmax_t size = fs::file_size(*file, ec);
  if (ec) return true;
  if (size <= kLightTokenizerBytes) return true;
  Result<FileContentHash> hashed = HashFileWithMemo(*file, read_dirs);
  if (!hashed.ok() || !hashed->remembered) return false;  // no memo: hashing it is not light either
  const std::string name =
      TokenizerCacheFileName(fs::path(*file).filename().string(), TokenizerCacheKey{hashed->hash, hashed->size});
  for (const std::string& dir : read_dirs) {
    if (fs::is_regular_file(fs::path(dir) / name, ec)) return true;
  }
  return false;
}

Result<std::unique_ptr<Tokenizer>> LoadTokenizerCached(const std::string& path,
                                                       const std::vector<std::string>& read_dirs,
                                                       const std::string& write_dir, TokenizerCacheInfo* info) {
  TokenizerCacheInfo scratch;
  if (info == nullptr) info = &scratch;
  *info = TokenizerCacheInfo{};
  if (read_dirs.empty() && write_dir.empty()) return Tokenizer::FromFile(path);
  IMI_ASSIGN_OR_RETURN(const std::string file, ResolveTokenizerFile(path));
  // The key comes from a memo beside the cache when tokenizer.json is
  // unchanged (size and mtime): a hit does not read tokenizer.json at all.
  std::vector<std::string> memo_dirs = read_dirs;
  if (!write_dir.empty()) memo_dirs.push_back(write_dir);
  Result<FileContentHash> hashed = HashFileWithMemo(file, memo_dirs);
  if (!hashed.ok()) return Tokenizer::FromFile(file);  // FromFile's own message (e.g. an empty file)
  const TokenizerCacheKey key{hashed->hash, hashed->size};
  const std::string name = TokenizerCacheFileName(fs::path(file).filename().string(), key);

  std::error_code ec;
  for (const std::string& dir : read_dirs) {
    const std::string cache_file = (fs::path(dir) / name).string();
    if (!fs::exists(cache_file, ec)) continue;
    // Populated: the checksum reads every page anyway, and one call maps
    // them for less than a fault per page would cost. The vocabulary is
    // used in place from the mapping, which the tokenizer keeps.
    Result<MappedFile> cached = MappedFile::Open(cache_file, /*populate=*/true);
    Result<std::unique_ptr<Tokenizer>> tokenizer = [&]() -> Result<std::unique_ptr<Tokenizer>> {
      if (!cached.ok()) return cached.status();
      auto mapping = std::make_shared<const MappedFile>(std::move(cached).value());
      return DecodeTokenizerCache(mapping->data(), mapping->size(), &key, file, mapping);
    }();
    if (tokenizer.ok()) {
      info->hit = true;
      WriteHashMemo(write_dir, *hashed);  // a cache from before memos: the next start skips the hash
      info->file = cache_file;
      return tokenizer;
    }
    info->note = "tokenizer cache " + cache_file + " unusable" + (write_dir.empty() ? ", skipped" : ", rebuilt") +
                 ": " + tokenizer.status().message();
    Log("tokenizer", info->note);
  }

  Result<MappedFile> source = MappedFile::Open(file);
  if (!source.ok()) return Tokenizer::FromFile(file);  // FromFile's own message (e.g. an empty file)
  const std::string_view json(reinterpret_cast<const char*>(source->data()), source->size());
  if (TokenizerCacheKeyOf(json).content_hash != key.content_hash || json.size() != key.size) {
    return Tokenizer::FromFile(file);  // changed while loading: parse it, cache nothing
  }
  IMI_ASSIGN_OR_RETURN(nlohmann::json root, ParseTokenizerJson(json, file));
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, BuildTokenizer(root, nullptr, file));
  if (write_dir.empty()) return tokenizer;
  Result<std::string> bytes = EncodeTokenizerCache(key, &root, *tokenizer);
  if (bytes.status().code() == StatusCode::kUnsupported) return tokenizer;  // not a cached model kind
  const std::string cache_file = (fs::path(write_dir) / name).string();
  Status written = bytes.status();
  if (written.ok()) {
    fs::create_directories(write_dir, ec);
    written = WriteFileAtomically(cache_file, *bytes);
  }
  if (written.ok()) {
    info->written = true;
    WriteHashMemo(write_dir, *hashed);
    info->file = cache_file;
  } else {
    info->note = "tokenizer cache not written to " + write_dir + ": " + written.message();
    Log("tokenizer", info->note);
  }
  return tokenizer;
}

}  // namespace imi::tokenizer
