// libFuzzer target for the tokenizer.json loader: mutated JSON (seeds in
// fuzz/seeds/tokenizer_loader/) must load or fail with a Status, never
// crash; a loaded tokenizer must encode and decode a fixed mixed-script
// text without crashing and with aligned output vectors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tokenizer/tokenizer.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::string_view kTexts[] = {
    "Hello, World! 東京都に住んでいます。 ﾊﾝｶｸ 123 👨‍👩‍👧 e\xCC\x81",
    "",
    "   ",
    "[CLS] <s> </s> <unk> a--b__c 2024-01-01",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto tokenizer = imi::tokenizer::Tokenizer::FromJson(json, "fuzz.json");
  if (!tokenizer.ok()) {
    Check(!tokenizer.status().message().empty());
    return 0;
  }
  for (std::string_view text : kTexts) {
    for (bool special : {true, false}) {
      auto e = (*tokenizer)->Encode(text, special);
      if (!e.ok()) continue;
      Check(e->ids.size() == e->tokens.size() && e->ids.size() == e->offsets.size() &&
            e->ids.size() == e->type_ids.size());
      (void)(*tokenizer)->Decode(e->ids, true);
    }
    (void)(*tokenizer)->EncodePair(text, text, true);
  }
  return 0;
}
