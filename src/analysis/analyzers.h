#ifndef IMI_ANALYSIS_ANALYZERS_H_
#define IMI_ANALYSIS_ANALYZERS_H_

#include <memory>
#include <string>

#include "analysis/analyzer.h"
#include "analysis/dictionary.h"
#include "analysis/icu_text.h"

namespace imi::analysis {

// The building blocks behind the named analysers (analyzer.cc fixes their
// options per name). Exposed so bench/ can measure variants; a collection
// only ever stores the names GetAnalyzer accepts.

// Choices of the MeCab analyser.
struct JaMecabOptions {
  bool base_form = false;            // index the dictionary's base form instead of the surface
  bool drop_function_words = false;  // drop particles and auxiliary verbs (助詞, 助動詞)
  // Also drop other function words by part of speech: conjunctions,
  // adnominals, interjections, fillers, pronouns, and dependent (非自立)
  // nouns and verbs.
  bool drop_dependent_words = false;
  bool index_base_form_too = false;  // a conjugated word also gives its base form
  Folding folding = Folding::kCase;
};

// MeCab words of the normalised text, without punctuation, symbols and
// spaces (記号, 補助記号, 空白), folded. NotFound/FailedPrecondition when the
// dictionary cannot be loaded.
Result<std::unique_ptr<Analyzer>> MakeJaMecabAnalyzer(std::string name, const DictionaryRef& dictionary,
                                                      const JaMecabOptions& options);

// Overlapping pairs of code points within each run of word code points
// (IsWordCodePoint) of the normalised, case-folded text; a run of one code
// point gives that code point. Needs no dictionary.
std::unique_ptr<Analyzer> MakeBigramAnalyzer(std::string name);

// ICU word boundaries of the normalised text (WordRanges), folded.
std::unique_ptr<Analyzer> MakeSimpleAnalyzer(std::string name, Folding folding);

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_ANALYZERS_H_
