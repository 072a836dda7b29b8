#include "analysis/icu_text.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <memory>

namespace imi::analysis {

std::string FoldTerm(std::string_view utf8, Folding folding) {
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (folding == Folding::kNfkcCasefold) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_SUCCESS(status)) {
      icu::UnicodeString folded = nfkc_cf->normalize(s, status);
      if (U_SUCCESS(status)) s = std::move(folded);
    }
  } else {
    s.foldCase();
  }
  std::string out;
  s.toUTF8String(out);
  return out;
}

char32_t FoldCodePoint(char32_t cp) {
  return static_cast<char32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT));
}

bool IsWordCodePoint(char32_t cp) {
  const uint32_t mask = U_MASK(u_charType(static_cast<UChar32>(cp)));
  return (mask & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
}

std::vector<std::pair<uint32_t, uint32_t>> WordRanges(std::string_view utf8) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  UErrorCode status = U_ZERO_ERROR;
  // The break iterator is built once per thread: creating one loads rules.
  thread_local std::unique_ptr<icu::BreakIterator> words(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (!words) return out;
  UText text = UTEXT_INITIALIZER;
  status = U_ZERO_ERROR;
  utext_openUTF8(&text, utf8.data(), static_cast<int64_t>(utf8.size()), &status);
  if (U_FAILURE(status)) return out;
  words->setText(&text, status);
  if (U_SUCCESS(status)) {
    int32_t begin = words->first();
    for (int32_t end = words->next(); end != icu::BreakIterator::DONE; begin = end, end = words->next()) {
      // Rule status UBRK_WORD_NONE marks spaces and punctuation.
      if (words->getRuleStatus() >= UBRK_WORD_NONE_LIMIT) {
        out.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(end));
      }
    }
  }
  utext_close(&text);
  return out;
}

}  // namespace imi::analysis
