// libFuzzer target for the binary tokenizer cache reader
// (tokenizer::DecodeTokenizerCache). The first byte picks what the rest is:
//   0: a whole cache file (raw bytes),
//   1: edits of a valid cache file built at start-up from a small Unigram
//      tokenizer (every 3 bytes: a 16-bit offset and a byte to xor there),
//   2: the same edits without fixing the checksum,
//   3: the valid file cut at a 16-bit length;
// its bit 2 decodes in place (the vocabulary borrowed from the bytes, as
// from a mapped file) instead of copying;
// the trailing checksum is recomputed (except in mode 2) so that the
// reader's structural checks, not only the checksum, meet the input. The
// reader must return a Status or a tokenizer, never crash or read outside
// the bytes; a loaded tokenizer encodes, decodes and pairs fixed texts with
// aligned vectors and ids inside its vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_cache.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kTexts[] = {
    "Hello, World! 東京都に住んでいます。 ﾊﾝｶｸ 123 👨‍👩‍👧 e\xCC\x81",
    "",
    "   ",
    "<s> </s> <unk> abcab ab-c",
};

// A small Unigram tokenizer with byte fallback, a Metaspace pre-tokenizer
// and a template post-processor.
constexpr std::string_view kTokenizer = R"({
  "version": "1.0", "truncation": null, "padding": null,
  "added_tokens": [
    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
  "normalizer": {"type": "NFKC"},
  "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
  "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
  "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true, "vocab": [
    ["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0], ["\u2581", -2.0], ["a", -3.0], ["b", -3.5], ["c", -4.0],
    ["ab", -2.5], ["abc", -2.0], ["\u2581ab", -1.5], ["東京", -3.0], ["都", -4.0], ["に", -3.0], ["1", -5.0],
    ["23", -4.5], ["<0x00>", -9.0], ["<0xE3>", -9.0], ["<0x81>", -9.0], ["<0x82>", -9.0], ["-", -6.0],
    ["ab", -7.0], ["", -8.0]]}
})";

const std::string& ValidCache() {
  static const std::string bytes = [] {
    nlohmann::json root = nlohmann::json::parse(kTokenizer);
    auto tokenizer = imi::tokenizer::Tokenizer::FromJson(kTokenizer, "fuzz.json");
    Check(tokenizer.ok());
    auto encoded = imi::tokenizer::EncodeTokenizerCache(imi::tokenizer::TokenizerCacheKeyOf(kTokenizer), &root,
                                                       **tokenizer);
    Check(encoded.ok());
    return *encoded;
  }();
  return bytes;
}

void Reseal(std::string* bytes) {
  if (bytes->size() < 8) return;
  const uint64_t sum = imi::ContentHash64(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size() - 8);
  std::memcpy(bytes->data() + bytes->size() - 8, &sum, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] & 3;
  std::string bytes;
  if (mode == 0) {
    bytes.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    Reseal(&bytes);
  } else if (mode == 3) {
    bytes = ValidCache();
    const size_t cut = size >= 3 ? (data[1] | (data[2] << 8)) % (bytes.size() + 1) : bytes.size() / 2;
    bytes.resize(cut);
    Reseal(&bytes);
  } else {
    bytes = ValidCache();
    for (size_t i = 1; i + 3 <= size; i += 3) {
      bytes[(data[i] | (data[i + 1] << 8)) % bytes.size()] ^= static_cast<char>(data[i + 2]);
    }
    if (mode == 1) Reseal(&bytes);
  }
  // The reader gets exactly the bytes (a heap copy of that size, so that
  // AddressSanitizer sees any read past them); in place, the tokenizer keeps
  // them.
  std::shared_ptr<uint8_t[]> exact(new uint8_t[bytes.size() + 1]);
  std::memcpy(exact.get(), bytes.data(), bytes.size());
  const bool in_place = (data[0] & 4) != 0;
  auto tokenizer = imi::tokenizer::DecodeTokenizerCache(exact.get(), bytes.size(), nullptr, "fuzz.json",
                                                        in_place ? exact : nullptr);
  exact.reset();
  if (!tokenizer.ok()) {
    Check(!tokenizer.status().message().empty());
    return 0;
  }
  const size_t vocab = (*tokenizer)->VocabSize();
  for (std::string_view text : kTexts) {
    for (bool special : {true, false}) {
      auto e = (*tokenizer)->Encode(text, special);
      if (!e.ok()) continue;
      Check(e->ids.size() == e->tokens.size() && e->ids.size() == e->offsets.size() &&
            e->ids.size() == e->type_ids.size());
      for (int32_t id : e->ids) Check(id >= 0);
      (void)(*tokenizer)->Decode(e->ids, true);
    }
    (void)(*tokenizer)->EncodePair(text, text, true);
  }
  for (int32_t id = -1; id < static_cast<int32_t>(vocab) + 2; ++id) {
    if (auto token = (*tokenizer)->IdToToken(id)) (void)(*tokenizer)->TokenToId(*token);
  }
  return 0;
}
