// The only file that includes MeCab. MeCab reports errors through return
// values and getLastError (it throws nothing across its C++ API).
#include "analysis/mecab_tagger.h"

#include <mecab.h>

#include <cctype>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace imi::analysis {

namespace {

// A tagger and a lattice used by one Parse at a time.
struct Worker {
  std::unique_ptr<MeCab::Tagger> tagger;
  std::unique_ptr<MeCab::Lattice> lattice;
};

bool IsSentenceEnd(std::string_view text, size_t pos, size_t* after) {
  static constexpr std::string_view kEnds[] = {"\xE3\x80\x82" /* 。 */, "\xEF\xBC\x8E" /* ． */,
                                               "\xEF\xBC\x81" /* ！ */, "\xEF\xBC\x9F" /* ？ */};
  const char c = text[pos];
  if (c == '\n' || c == '!' || c == '?') {
    *after = pos + 1;
    return true;
  }
  for (std::string_view end : kEnds) {
    if (text.compare(pos, end.size(), end) == 0) {
      *after = pos + end.size();
      return true;
    }
  }
  return false;
}

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::vector<size_t> SplitIntoPieces(std::string_view text, size_t max_bytes) {
  std::vector<size_t> cuts;
  size_t start = 0;
  while (text.size() - start > max_bytes) {
    const size_t limit = start + max_bytes;
    size_t cut = 0, space = 0;
    for (size_t pos = start; pos < limit; ++pos) {
      size_t after = 0;
      if (IsSentenceEnd(text, pos, &after) && after <= limit) cut = after;
      if (text[pos] == ' ' || text[pos] == '\t') space = pos + 1;
    }
    if (cut == 0) cut = space;
    if (cut == 0) {
      cut = limit;
      while (cut > start + 1 && IsContinuationByte(text[cut])) --cut;
    }
    cuts.push_back(cut);
    start = cut;
  }
  cuts.push_back(text.size());
  return cuts;
}

struct MecabTagger::Impl {
  std::unique_ptr<MeCab::Model> model;
  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<Worker>> idle;

  std::unique_ptr<Worker> Take() const {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        std::unique_ptr<Worker> w = std::move(idle.back());
        idle.pop_back();
        return w;
      }
    }
    auto w = std::make_unique<Worker>();
    w->tagger.reset(model->createTagger());
    w->lattice.reset(model->createLattice());
    if (!w->tagger || !w->lattice) return nullptr;
    return w;
  }

  void Give(std::unique_ptr<Worker> w) const {
    std::lock_guard<std::mutex> lock(mu);
    idle.push_back(std::move(w));
  }
};

MecabTagger::MecabTagger(std::unique_ptr<Impl> impl, DictionaryFacts facts)
    : impl_(std::move(impl)), facts_(std::move(facts)) {}

MecabTagger::~MecabTagger() = default;

Result<std::unique_ptr<MecabTagger>> MecabTagger::Open(const std::string& dicdir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dicdir) / "sys.dic", ec)) {
    return Status::NotFound("no MeCab dictionary in " + dicdir + " (sys.dic missing)");
  }
  // argv form, so a directory with spaces stays one argument; -r /dev/null
  // keeps /etc/mecabrc and ~/.mecabrc out of it.
  std::string arg0 = "mecab", d = "-d", dir = dicdir, r = "-r", rc = "/dev/null";
  char* argv[] = {arg0.data(), d.data(), dir.data(), r.data(), rc.data()};
  std::unique_ptr<MeCab::Model> model(MeCab::createModel(5, argv));
  if (!model) {
    const char* why = MeCab::getLastError();
    return Status::FailedPrecondition("MeCab cannot load the dictionary in " + dicdir + ": " +
                                      (why != nullptr ? why : "unknown error"));
  }
  DictionaryFacts facts;
  facts.directory = dicdir;
  for (const MeCab::DictionaryInfo* info = model->dictionary_info(); info != nullptr; info = info->next) {
    if (info->type != MECAB_SYS_DIC) continue;
    facts.charset = info->charset != nullptr ? info->charset : "";
    facts.entries = info->size;
    facts.version = info->version;
  }
  std::string charset;
  for (char c : facts.charset) {
    if (c != '-' && c != '_') charset += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (charset != "utf8") {
    return Status::FailedPrecondition("the MeCab dictionary in " + dicdir + " is encoded in " + facts.charset +
                                      "; imi needs a UTF-8 dictionary (e.g. Debian's mecab-ipadic-utf8)");
  }
  auto impl = std::make_unique<Impl>();
  impl->model = std::move(model);
  return std::unique_ptr<MecabTagger>(new MecabTagger(std::move(impl), std::move(facts)));
}

Result<std::vector<Morpheme>> MecabTagger::Parse(std::string_view text) const {
  std::string cleaned;
  if (text.find('\0') != std::string_view::npos) {
    cleaned.assign(text);
    for (char& c : cleaned) {
      if (c == '\0') c = ' ';
    }
    text = cleaned;
  }
  std::vector<Morpheme> out;
  size_t start = 0;
  for (size_t cut : SplitIntoPieces(text, kMaxPieceBytes)) {
    IMI_RETURN_IF_ERROR(ParsePiece(text.substr(start, cut - start), static_cast<uint32_t>(start), &out));
    start = cut;
  }
  return out;
}

Status MecabTagger::ParsePiece(std::string_view piece, uint32_t offset, std::vector<Morpheme>* out) const {
  if (piece.empty()) return Status::Ok();
  std::unique_ptr<Worker> worker = impl_->Take();
  if (!worker) return Status::Internal("MeCab could not create a tagger");
  MeCab::Lattice* lattice = worker->lattice.get();
  lattice->clear();
  lattice->set_sentence(piece.data(), piece.size());
  if (!worker->tagger->parse(lattice)) {
    const char* why = lattice->what();
    return Status::Internal(std::string("MeCab failed to parse: ") + (why != nullptr ? why : "unknown error"));
  }
  for (const MeCab::Node* node = lattice->bos_node(); node != nullptr; node = node->next) {
    if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE) continue;
    if (node->length == 0) continue;
    Morpheme m;
    m.begin = offset + static_cast<uint32_t>(node->surface - piece.data());
    m.end = m.begin + node->length;
    m.feature = node->feature != nullptr ? node->feature : "";
    m.unknown = node->stat == MECAB_UNK_NODE;
    out->push_back(std::move(m));
  }
  // The lattice points into `piece`; clear it before the worker is reused.
  lattice->clear();
  impl_->Give(std::move(worker));
  return Status::Ok();
}

}  // namespace imi::analysis
