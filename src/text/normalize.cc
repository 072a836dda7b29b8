#include "text/normalize.h"

#include <cstring>

#include "text/char_table.h"
#include "text/utf8_codec.h"

namespace imi::text {

namespace {

using internal::CharKind;

// The normaliser is one pass over the input, writing into a buffer sized
// for the worst case up front. It mirrors neologdn's state machine: `prev` is
// the last character neologdn remembers (not always the last one written:
// a space it drops still becomes `prev`), `latin_space` says the last thing
// written is a space kept after an ASCII character, which a following
// Japanese character removes again.
//
// With a `spans` vector it also records, for every output byte, the input
// bytes [begin, end) of the character that produced it: every write goes
// through Put and every retraction through Retract, so the two stay in step.
class Normalizer {
 public:
  Normalizer(const NormalizeOptions& options, char* out, std::vector<SourceSpan>* spans)
      : remove_space_(options.remove_space), tilde_(options.tilde), begin_(out), w_(out), spans_(spans) {}

  void Run(std::string_view in) {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const auto* end = p + in.size();
    in_ = p;
    while (p < end) {
      const unsigned char* start = p;
      const char32_t c = internal::DecodeLenient(&p, end);
      src_ = SourceSpan{static_cast<uint32_t>(start - in_), static_cast<uint32_t>(p - in_)};
      const internal::PackedRule rule = internal::LookupRule(c);
      switch (internal::KindOf(rule)) {
        case CharKind::kPlain:
          Emit(c, start, p);
          break;
        case CharKind::kMapped:
          EmitMapped(internal::TargetOf(rule));
          break;
        case CharKind::kSpace:
          OnSpace();
          break;
        case CharKind::kHyphen:
          if (prev_ == U'-') break;
          *w_ = '-';
          Put(1);
          prev_ = U'-';
          latin_space_ = false;
          break;
        case CharKind::kChoonpu:
          if (prev_ == internal::kKatakanaChoonpu) break;
          Put(internal::EncodeUtf8(internal::kKatakanaChoonpu, w_));
          prev_ = internal::kKatakanaChoonpu;
          latin_space_ = false;
          break;
        case CharKind::kTilde:
          OnTilde(c, start, p);
          break;
      }
    }
    // neologdn strips exactly one trailing space.
    if (w_ != begin_ && w_[-1] == ' ') Retract(1);
  }

  size_t size() const { return static_cast<size_t>(w_ - begin_); }

 private:
  void OnSpace() {
    const bool at_start = w_ == begin_;
    if (remove_space_ && (at_start || prev_ == U' ' || internal::InJapaneseBlocks(prev_))) return;
    if (!at_start && prev_ < 0x80 && prev_ != U'*') {
      latin_space_ = true;
      *w_ = ' ';
      Put(1);
    } else if (!remove_space_) {
      *w_ = ' ';
      Put(1);
    }
    // Even a dropped space becomes `prev`, so a second one is dropped too.
    prev_ = U' ';
  }

  void OnTilde(char32_t c, const unsigned char* start, const unsigned char* stop) {
    switch (tilde_) {
      case TildeMode::kRemove:
        // A removed tilde leaves `prev` and `latin_space` as they were.
        return;
      case TildeMode::kIgnore:
        CopyBytes(start, stop);
        prev_ = c;
        break;
      case TildeMode::kNormalize:
        *w_ = '~';
        Put(1);
        prev_ = U'~';
        break;
      case TildeMode::kNormalizeZenkaku:
        Put(internal::EncodeUtf8(U'\u301C', w_));
        prev_ = U'\u301C';
        break;
    }
    latin_space_ = false;
  }

  // A plain character: copied byte for byte (invalid bytes included).
  void Emit(char32_t c, const unsigned char* start, const unsigned char* stop) {
    if (c == internal::kHalfwidthVoicedMark || c == internal::kHalfwidthSemiVoicedMark) {
      EmitMapped(c);
      return;
    }
    DropLatinSpaceBefore(c);
    CopyBytes(start, stop);
    prev_ = c;
  }

  void EmitMapped(char32_t c) {
    if ((c == internal::kHalfwidthVoicedMark || c == internal::kHalfwidthSemiVoicedMark) &&
        w_ != begin_) {
      const char32_t composed = internal::Compose(prev_, c == internal::kHalfwidthSemiVoicedMark);
      if (composed != 0) {
        // `prev` is a kana, so it is the last thing written, in 3 bytes;
        // the composed character comes from the kana and the mark.
        if (spans_ != nullptr) src_.begin = spans_->back().begin;
        Retract(3);
        c = composed;
      }
    }
    DropLatinSpaceBefore(c);
    Put(internal::EncodeUtf8(c, w_));
    prev_ = c;
  }

  void DropLatinSpaceBefore(char32_t c) {
    if (latin_space_ && remove_space_ && w_ != begin_ && internal::InJapaneseBlocks(c)) Retract(1);
    latin_space_ = false;
  }

  void CopyBytes(const unsigned char* start, const unsigned char* stop) {
    const size_t n = static_cast<size_t>(stop - start);
    std::memcpy(w_, start, n);
    w_ += n;
    if (spans_ != nullptr) spans_->insert(spans_->end(), n, src_);
  }

  // Accounts for `n` bytes just written at w_ (advancing it).
  void Put(size_t n) {
    w_ += n;
    if (spans_ != nullptr) spans_->insert(spans_->end(), n, src_);
  }

  void Retract(size_t n) {
    w_ -= n;
    if (spans_ != nullptr) spans_->resize(spans_->size() - n);
  }

  const bool remove_space_;
  const TildeMode tilde_;
  char* const begin_;
  char* w_;
  char32_t prev_ = 0;
  bool latin_space_ = false;
  std::vector<SourceSpan>* const spans_;
  const unsigned char* in_ = nullptr;
  SourceSpan src_;  // input bytes of the character being handled
};

}  // namespace

void NormalizeInto(std::string_view utf8, const NormalizeOptions& options, std::string* out) {
  // Only normalize_zenkaku grows text ('~' is 1 byte, '〜' 3); every other
  // rule maps a character to one of no more bytes.
  const size_t growth = options.tilde == TildeMode::kNormalizeZenkaku ? 3 : 1;
  out->resize(utf8.size() * growth);
  Normalizer normalizer(options, out->data(), nullptr);
  normalizer.Run(utf8);
  out->resize(normalizer.size());
  // neologdn hands its buffer to PyUnicode_DecodeUTF32, which takes a leading
  // U+FEFF for a byte order mark and drops it: one, after all other rules.
  if (out->compare(0, 3, "\xEF\xBB\xBF") == 0) out->erase(0, 3);
  if (options.repeat > 0) {
    *out = ShortenRepeat(*out, options.repeat, options.max_repeat_substr_length);
  }
}

std::string Normalize(std::string_view utf8, const NormalizeOptions& options) {
  std::string out;
  NormalizeInto(utf8, options, &out);
  return out;
}

NormalizedText NormalizeWithSpans(std::string_view utf8, const NormalizeOptions& options) {
  NormalizedText result;
  const size_t growth = options.tilde == TildeMode::kNormalizeZenkaku ? 3 : 1;
  result.text.resize(utf8.size() * growth);
  result.spans.reserve(utf8.size() * growth);
  Normalizer normalizer(options, result.text.data(), &result.spans);
  normalizer.Run(utf8);
  result.text.resize(normalizer.size());
  if (result.text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    result.text.erase(0, 3);
    result.spans.erase(result.spans.begin(), result.spans.begin() + 3);
  }
  return result;
}

Result<TildeMode> ParseTildeMode(std::string_view name) {
  for (TildeMode mode : {TildeMode::kRemove, TildeMode::kNormalize, TildeMode::kNormalizeZenkaku,
                         TildeMode::kIgnore}) {
    if (name == TildeModeName(mode)) return mode;
  }
  return Status::InvalidArgument("unknown tilde mode '" + std::string(name) +
                                 "'; use remove, normalize, normalize_zenkaku or ignore");
}

std::string_view TildeModeName(TildeMode mode) {
  switch (mode) {
    case TildeMode::kRemove:
      return "remove";
    case TildeMode::kNormalize:
      return "normalize";
    case TildeMode::kNormalizeZenkaku:
      return "normalize_zenkaku";
    case TildeMode::kIgnore:
      return "ignore";
  }
  return "remove";
}

}  // namespace imi::text
