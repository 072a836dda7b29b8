#include "analysis/dictionary.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <system_error>

namespace imi::analysis {

namespace {

struct KnownDictionary {
  std::string_view name;
  std::string_view directory;
  std::string_view package;
  FeatureLayout layout;
};

// ipadic: 品詞,細分類1,細分類2,細分類3,活用型,活用形,原形,読み,発音.
// unidic 3.1: pos1-4, cType, cForm, lForm, lemma, orth, pron, orthBase, ...,
// kana (20); see the dictionary's dicrc.
constexpr FeatureLayout kIpadicLayout{4, 6, 7};
constexpr FeatureLayout kUnidicLayout{4, 10, 20};

constexpr KnownDictionary kKnown[] = {
    {"ipadic", "/var/lib/mecab/dic/ipadic-utf8", "mecab-ipadic-utf8", kIpadicLayout},
    {"unidic", "/var/lib/mecab/dic/unidic", "unidic-mecab", kUnidicLayout},
};

bool HasSysDic(const std::string& directory) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(directory) / "sys.dic", ec);
}

// A directory given by path: UniDic's dicrc names its feature "orthBase".
FeatureLayout DetectLayout(const std::string& directory) {
  std::ifstream in(std::filesystem::path(directory) / "dicrc");
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find("orthBase") != std::string::npos ? kUnidicLayout : kIpadicLayout;
}

}  // namespace

Result<DictionaryRef> ResolveDictionary(std::string_view name) {
  if (name.empty()) name = kDefaultDictionary;
  for (const KnownDictionary& known : kKnown) {
    if (name != known.name) continue;
    DictionaryRef ref{std::string(known.name), std::string(known.directory), known.layout};
    if (!HasSysDic(ref.directory)) {
      return Status::NotFound("the MeCab dictionary \"" + ref.name + "\" is not installed (no " + ref.directory +
                              "/sys.dic); install the Debian package " + std::string(known.package) +
                              " (scripts/setup.sh installs mecab-ipadic-utf8)");
    }
    return ref;
  }
  if (name.find('/') == std::string_view::npos) {
    return Status::InvalidArgument("unknown MeCab dictionary \"" + std::string(name) +
                                   "\"; use ipadic, unidic or the path of a compiled dictionary directory");
  }
  DictionaryRef ref{std::string(name), std::string(name), {}};
  if (!HasSysDic(ref.directory)) return Status::NotFound("no MeCab dictionary in " + ref.directory + " (sys.dic missing)");
  ref.layout = DetectLayout(ref.directory);
  return ref;
}

Result<std::shared_ptr<const MecabTagger>> SharedTagger(const DictionaryRef& ref) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const MecabTagger>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(ref.directory);
  if (it != loaded.end()) return it->second;
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<MecabTagger> tagger, MecabTagger::Open(ref.directory));
  std::shared_ptr<const MecabTagger> shared(std::move(tagger));
  loaded.emplace(ref.directory, shared);
  return shared;
}

std::string FeatureField(std::string_view feature, int index) {
  int field = 0;
  std::string value;
  bool quoted = false;
  for (size_t i = 0; i <= feature.size(); ++i) {
    const char c = i < feature.size() ? feature[i] : ',';
    if (quoted) {
      if (c == '"' && i + 1 < feature.size() && feature[i + 1] == '"') {
        value += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        value += c;
      }
      continue;
    }
    if (c == '"' && value.empty()) {
      quoted = true;
    } else if (c == ',') {
      if (field == index) return value == "*" ? std::string() : value;
      ++field;
      value.clear();
    } else {
      value += c;
    }
  }
  return std::string();
}

std::string PartOfSpeech(std::string_view feature, const FeatureLayout& layout) {
  std::vector<std::string> parts;
  for (int i = 0; i < layout.pos_fields; ++i) parts.push_back(FeatureField(feature, i));
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ',';
    out += parts[i];
  }
  return out;
}

}  // namespace imi::analysis
