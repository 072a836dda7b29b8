#include "search/chunker.h"

#include "base/utf8.h"
#include "tokenizer/tokenizer.h"

namespace imi::search {

Result<std::unique_ptr<Chunker>> Chunker::Load(const std::string& tokenizer_path, size_t max_tokens,
                                               size_t overlap_tokens) {
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<tokenizer::Tokenizer> tok, tokenizer::Tokenizer::FromFile(tokenizer_path));
  tok->SetTruncation(std::nullopt);
  tok->SetPadding(std::nullopt);
  size_t specials = tok->NumSpecialTokensToAdd(false);
  if (max_tokens <= specials + 1)
    return Status::InvalidArgument("chunks of " + std::to_string(max_tokens) + " tokens leave no room for text");
  size_t window = max_tokens - specials;
  if (overlap_tokens >= window)
    return Status::InvalidArgument("overlap of " + std::to_string(overlap_tokens) + " tokens must be below the " +
                                   std::to_string(window) + "-token window");
  return std::make_unique<Chunker>(std::move(tok), window, overlap_tokens);
}

Chunker::Chunker(std::unique_ptr<tokenizer::Tokenizer> tokenizer, size_t window, size_t overlap)
    : tokenizer_(std::move(tokenizer)), window_(window), overlap_(overlap) {}

Chunker::~Chunker() = default;

Result<std::vector<TextChunk>> Chunker::Split(std::string_view text) const {
  IMI_ASSIGN_OR_RETURN(tokenizer::Encoding enc, tokenizer_->Encode(text, /*add_special_tokens=*/false));
  std::vector<TextChunk> chunks;
  const size_t n = enc.size();
  if (n == 0) {
    chunks.push_back(TextChunk{std::string(text), 0, static_cast<int64_t>(text.size()), 0});
    return chunks;
  }
  // Offsets are in code points; map them to bytes.
  std::vector<size_t> byte_of;
  byte_of.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    byte_of.push_back(pos);
    utf8::Decode(text, &pos);
  }
  byte_of.push_back(text.size());
  auto to_byte = [&](size_t cp) { return byte_of[std::min(cp, byte_of.size() - 1)]; };
  for (size_t start = 0; start < n; start += window_ - overlap_) {
    size_t end = std::min(n, start + window_);
    size_t b0 = to_byte(enc.offsets[start].first);
    size_t b1 = to_byte(enc.offsets[end - 1].second);
    if (b1 < b0) b1 = b0;
    chunks.push_back(TextChunk{std::string(text.substr(b0, b1 - b0)), static_cast<int64_t>(b0),
                               static_cast<int64_t>(b1), end - start});
    if (end == n) break;
  }
  return chunks;
}

}  // namespace imi::search
