#include "search/chunker.h"

#include <deque>

#include "base/utf8.h"
#include "tokenizer/tokenizer.h"

namespace imi::search {

namespace {

// Texts up to this size are tokenised in one piece (the windows are then
// those of the whole text); longer ones in pieces of about this size, so
// memory follows the piece, not the document.
constexpr size_t kSegmentBytes = 256 * 1024;
// Tokens at the end of a piece that are tokenised again with the next one:
// near a cut, more text can change them.
constexpr size_t kUnstableTailTokens = 16;

// The longest prefix of `text` of at most `bytes` bytes ending on a code
// point boundary (at least one code point when `text` is not empty).
size_t CodePointCut(std::string_view text, size_t bytes) {
  if (bytes >= text.size()) return text.size();
  size_t cut = bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  if (cut == 0) {
    cut = 1;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  }
  return cut;
}

}  // namespace

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
  std::vector<TextChunk> chunks;
  // Byte ranges of the tokens not yet behind every window, and the index of
  // the first of them in the whole text's token sequence.
  std::deque<std::pair<size_t, size_t>> tokens;
  size_t first_token = 0;
  size_t start = 0;  // token index where the next window starts
  auto emit = [&](size_t end) {
    const size_t b0 = tokens[start - first_token].first;
    size_t b1 = tokens[end - 1 - first_token].second;
    if (b1 < b0) b1 = b0;
    chunks.push_back(TextChunk{std::string(text.substr(b0, b1 - b0)), static_cast<int64_t>(b0),
                               static_cast<int64_t>(b1), end - start});
  };
  // Windows of window_ tokens every window_ - overlap_ tokens; the last one
  // ends at the last token. A window is emitted once a token after it is
  // known (or the text ends), so it is never mistaken for the last.
  auto emit_full_windows = [&](bool done) {
    const size_t known = first_token + tokens.size();
    while (start < known && (start + window_ < known || (done && start + window_ <= known))) {
      emit(start + window_);
      if (done && start + window_ == known) {
        start = known;
        return;
      }
      start += window_ - overlap_;
    }
    if (done && start < known) {
      emit(known);
      start = known;
    }
    while (first_token < start && !tokens.empty()) {
      tokens.pop_front();
      ++first_token;
    }
  };

  std::vector<size_t> byte_of;  // code point -> byte offset, within the piece
  size_t pos = 0;
  size_t piece = kSegmentBytes;
  while (pos < text.size()) {
    const std::string_view rest = text.substr(pos);
    const size_t cut = CodePointCut(rest, piece);
    const bool last = cut == rest.size();
    const std::string_view part = rest.substr(0, cut);
    IMI_ASSIGN_OR_RETURN(tokenizer::Encoding enc, tokenizer_->Encode(part, /*add_special_tokens=*/false));
    size_t take = enc.size();
    if (!last) {
      if (enc.size() <= kUnstableTailTokens) {
        // Too few tokens to leave a tail (e.g. long whitespace): a bigger piece.
        piece *= 2;
        continue;
      }
      take = enc.size() - kUnstableTailTokens;
    }
    // Offsets are in code points of the piece; map them to bytes.
    byte_of.clear();
    for (size_t p = 0; p < part.size();) {
      byte_of.push_back(p);
      utf8::Decode(part, &p);
    }
    byte_of.push_back(part.size());
    auto to_byte = [&](size_t cp) { return pos + byte_of[std::min(cp, byte_of.size() - 1)]; };
    size_t next = pos + cut;
    if (!last) {
      // The next piece starts where the first retokenised token does (if
      // that moves forward at all; otherwise this piece counts whole).
      next = to_byte(enc.offsets[take].first);
      if (next <= pos) {
        take = enc.size();
        next = pos + cut;
      }
    }
    for (size_t i = 0; i < take; ++i) tokens.emplace_back(to_byte(enc.offsets[i].first), to_byte(enc.offsets[i].second));
    pos = next;
    piece = kSegmentBytes;
    emit_full_windows(pos >= text.size());
  }
  if (first_token + tokens.size() == 0 && chunks.empty()) {
    chunks.push_back(TextChunk{std::string(text), 0, static_cast<int64_t>(text.size()), 0});
  }
  return chunks;
}

}  // namespace imi::search
