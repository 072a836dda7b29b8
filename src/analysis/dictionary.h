#ifndef IMI_ANALYSIS_DICTIONARY_H_
#define IMI_ANALYSIS_DICTIONARY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/mecab_tagger.h"
#include "base/result.h"

namespace imi::analysis {

// Where a dictionary's CSV features keep what imi reads (-1 = absent).
struct FeatureLayout {
  int pos_fields = 4;  // fields 0..pos_fields-1 are the part of speech
  int base_form = -1;
  int reading = -1;
};

// A MeCab dictionary by name: "ipadic" (Debian mecab-ipadic-utf8, the
// default) or "unidic" (Debian unidic-mecab 3.1.1), or a directory holding a
// compiled UTF-8 dictionary. docs/lexical.md explains the choice of default.
struct DictionaryRef {
  std::string name;       // "ipadic", "unidic", or the directory as given
  std::string directory;  // compiled dictionary (sys.dic, matrix.bin, ...)
  FeatureLayout layout;
};

// The name used when none is given.
inline constexpr std::string_view kDefaultDictionary = "ipadic";

// Resolves a name (empty = the default) or a directory. NotFound naming the
// Debian package to install when a known dictionary is missing, or when a
// directory has no sys.dic; InvalidArgument for another bare name.
Result<DictionaryRef> ResolveDictionary(std::string_view name);

// The tagger for `ref`, loaded once per directory and shared by the process
// (loading ipadic takes ~50 ms, unidic seconds). Thread-safe.
Result<std::shared_ptr<const MecabTagger>> SharedTagger(const DictionaryRef& ref);

// Field `index` of a CSV feature string ("" when absent or "*"). MeCab
// features quote fields holding commas with double quotes ("" for a quote).
std::string FeatureField(std::string_view feature, int index);

// The part of speech as "名詞,固有名詞,地域" (the first layout.pos_fields
// fields without trailing "*").
std::string PartOfSpeech(std::string_view feature, const FeatureLayout& layout);

}  // namespace imi::analysis

#endif  // IMI_ANALYSIS_DICTIONARY_H_
