// ja-mecab: neologdn -> MeCab -> words without punctuation -> folded terms.
#include <string_view>

#include "analysis/analyzers.h"
#include "analysis/prepared_text.h"

namespace imi::analysis {

namespace {

bool IsSkippedPartOfSpeech(std::string_view pos1, std::string_view pos2, const JaMecabOptions& options) {
  // ipadic calls punctuation and symbols 記号; UniDic 補助記号 and 空白.
  if (pos1 == "記号" || pos1 == "補助記号" || pos1 == "空白") return true;
  if (options.drop_function_words && (pos1 == "助詞" || pos1 == "助動詞")) return true;
  if (!options.drop_dependent_words) return false;
  if (pos1 == "接続詞" || pos1 == "連体詞" || pos1 == "感動詞" || pos1 == "フィラー" || pos1 == "代名詞") return true;
  return (pos1 == "名詞" && (pos2 == "非自立" || pos2 == "代名詞")) || (pos1 == "動詞" && pos2 == "非自立");
}

class JaMecabAnalyzer : public Analyzer {
 public:
  JaMecabAnalyzer(std::string name, DictionaryRef dictionary, std::shared_ptr<const MecabTagger> tagger,
                  JaMecabOptions options)
      : Analyzer(std::move(name)),
        dictionary_(std::move(dictionary)),
        tagger_(std::move(tagger)),
        options_(options) {}

  std::string Fingerprint() const override {
    const DictionaryFacts& facts = tagger_->facts();
    return "mecab " + dictionary_.name + " entries=" + std::to_string(facts.entries) +
           " version=" + std::to_string(facts.version);
  }

  Result<std::vector<Token>> Analyze(std::string_view input) const override {
    const PreparedText prepared(input);
    const std::string& text = prepared.text();
    IMI_ASSIGN_OR_RETURN(std::vector<Morpheme> words, tagger_->Parse(text));
    std::vector<Token> tokens;
    tokens.reserve(words.size());
    for (const Morpheme& word : words) {
      if (IsSkippedPartOfSpeech(FeatureField(word.feature, 0), FeatureField(word.feature, 1), options_)) continue;
      std::string_view surface(text.data() + word.begin, word.end - word.begin);
      std::string base;
      if (options_.base_form && dictionary_.layout.base_form >= 0) {
        base = FeatureField(word.feature, dictionary_.layout.base_form);
      }
      Token token;
      token.term = FoldTerm(base.empty() ? surface : std::string_view(base), options_.folding);
      if (token.term.empty()) continue;
      const text::SourceSpan source = prepared.Source(word.begin, word.end);
      token.begin = source.begin;
      token.end = source.end;
      if (options_.index_base_form_too && !options_.base_form && dictionary_.layout.base_form >= 0) {
        base = FeatureField(word.feature, dictionary_.layout.base_form);
        std::string folded = base.empty() ? std::string() : FoldTerm(base, options_.folding);
        if (!folded.empty() && folded != token.term) {
          Token extra = token;
          extra.term = std::move(folded);
          tokens.push_back(std::move(token));
          tokens.push_back(std::move(extra));
          continue;
        }
      }
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

 private:
  DictionaryRef dictionary_;
  std::shared_ptr<const MecabTagger> tagger_;
  JaMecabOptions options_;
};

}  // namespace

Result<std::unique_ptr<Analyzer>> MakeJaMecabAnalyzer(std::string name, const DictionaryRef& dictionary,
                                                      const JaMecabOptions& options) {
  IMI_ASSIGN_OR_RETURN(std::shared_ptr<const MecabTagger> tagger, SharedTagger(dictionary));
  return std::unique_ptr<Analyzer>(new JaMecabAnalyzer(std::move(name), dictionary, std::move(tagger), options));
}

}  // namespace imi::analysis
