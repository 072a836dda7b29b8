// libFuzzer target for tokenizer encoding: the first byte picks one of the
// shared tokenizers (and tests/data/tokenizer/made ones), the rest is the
// text. Raw bytes must give a value or an InvalidArgument, never a crash;
// valid (U+FFFD-replaced) text must encode with aligned vectors, offsets
// inside the input, and decode without failing; pairs likewise.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using imi::tokenizer::Encoding;
using imi::tokenizer::Tokenizer;

void Check(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::unique_ptr<Tokenizer>>& Tokenizers() {
  static std::vector<std::unique_ptr<Tokenizer>> all = [] {
    std::vector<std::unique_ptr<Tokenizer>> out;
    for (const fs::path& root : {fs::path(IMI_SHARED_DIR) / "tokenizers",
                                 fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/made"}) {
      std::error_code ec;
      if (!fs::is_directory(root, ec)) continue;
      std::vector<fs::path> dirs;
      for (const auto& entry : fs::directory_iterator(root, ec)) dirs.push_back(entry.path());
      std::sort(dirs.begin(), dirs.end());
      for (const fs::path& dir : dirs) {
        if (!fs::exists(dir / "tokenizer.json")) continue;
        auto t = Tokenizer::FromFile(dir.string());
        if (t.ok()) out.push_back(std::move(t).value());
      }
    }
    return out;
  }();
  return all;
}

void CheckEncoding(const Encoding& e, size_t text_chars) {
  const size_t n = e.ids.size();
  Check(e.type_ids.size() == n && e.tokens.size() == n && e.offsets.size() == n &&
        e.special_tokens_mask.size() == n && e.attention_mask.size() == n);
  for (const auto& [start, end] : e.offsets) Check(start <= end && end <= text_chars);
}

}  // namespace

// Loading the tokenizers takes seconds under ASan; do it before the
// per-input timeout starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& tokenizers = Tokenizers();
  if (tokenizers.empty() || size == 0) return 0;
  const Tokenizer& t = *tokenizers[data[0] % tokenizers.size()];
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto encoded = t.Encode(raw, true);
  const bool valid = imi::utf8::FindInvalid(raw) == std::string_view::npos;
  Check(encoded.ok() == valid || encoded.status().code() != imi::StatusCode::kInvalidArgument);
  if (!valid) Check(!encoded.ok());

  const std::string text = imi::utf8::ReplaceInvalid(raw);
  const size_t chars = imi::utf8::CountCodePoints(text);
  for (bool special : {true, false}) {
    auto e = t.Encode(text, special);
    if (!e.ok()) continue;  // e.g. a model without unk on an unknown piece
    CheckEncoding(*e, chars);
    auto decoded = t.Decode(e->ids, true);
    Check(decoded.ok());
  }
  const size_t cut = text.size() / 2;
  size_t split = cut;
  while (split < text.size() && (static_cast<unsigned char>(text[split]) & 0xC0) == 0x80) ++split;
  auto pair = t.EncodePair(std::string_view(text).substr(0, split), std::string_view(text).substr(split), true);
  if (pair.ok()) {
    Check(pair->ids.size() == pair->type_ids.size() && pair->ids.size() == pair->offsets.size());
  }
  return 0;
}
