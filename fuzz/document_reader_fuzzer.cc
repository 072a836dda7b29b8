// libFuzzer target for the documents imi index reads (search/document_reader.h)
// and the chunker that splits them (search/chunker.h). The first byte picks
// the file type (.txt, .md, .html, .jsonl) and a chunker (a tokenizer from
// tests/data/tokenizer/made or ../shared/tokenizers, windows of 12 tokens
// overlapping by 3); the rest is written to a file and read back. Checks:
// invalid UTF-8 is an InvalidArgument, other failures only for .jsonl, never
// a crash; documents have valid UTF-8 text, an object as metadata that
// serialises strictly (the store dumps it without a replacement handler);
// chunks cover text[start, end) inside the text, start and end never move
// back, chunk texts are valid UTF-8 and no window holds more tokens than fit.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "search/chunker.h"
#include "search/document_reader.h"

namespace {

namespace fs = std::filesystem;
using imi::search::Chunker;
using imi::search::SourceDocument;
using imi::search::TextChunk;

constexpr size_t kMaxTokens = 12;
constexpr size_t kOverlapTokens = 3;
constexpr const char* kExtensions[] = {".txt", ".md", ".html", ".jsonl"};

void Check(bool condition, const char* what, std::string_view detail = "") {
  if (condition) return;
  std::fprintf(stderr, "document_reader_fuzzer: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool Valid(std::string_view s) { return imi::utf8::FindInvalid(s) == std::string_view::npos; }

// A private directory for the input files, removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "imi-fuzz-docs.XXXXXX").string();
    Check(::mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const ScratchDir& Scratch() {
  static const ScratchDir dir;
  return dir;
}

std::vector<std::unique_ptr<Chunker>>& Chunkers() {
  static std::vector<std::unique_ptr<Chunker>> all = [] {
    std::vector<std::unique_ptr<Chunker>> out;
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/made", ec)) {
      if (fs::exists(entry.path() / "tokenizer.json")) files.push_back(entry.path() / "tokenizer.json");
    }
    std::sort(files.begin(), files.end());
    for (const char* name : {"xlmr-style-ja-en-unigram-32k", "all-MiniLM-L6-v2", "gpt2"}) {
      const fs::path file = fs::path(IMI_SHARED_DIR) / "tokenizers" / name / "tokenizer.json";
      if (fs::exists(file)) files.push_back(file);
    }
    for (const fs::path& file : files) {
      auto chunker = Chunker::Load(file.string(), kMaxTokens, kOverlapTokens);
      if (chunker.ok()) out.push_back(std::move(chunker).value());
    }
    return out;
  }();
  return all;
}

void CheckChunks(const std::string& text, const std::vector<TextChunk>& chunks) {
  Check(!chunks.empty(), "no chunks", text);
  int64_t last_start = 0;
  int64_t last_end = 0;
  for (const TextChunk& chunk : chunks) {
    Check(0 <= chunk.start_offset && chunk.start_offset <= chunk.end_offset &&
              chunk.end_offset <= static_cast<int64_t>(text.size()),
          "chunk offsets outside the text", text);
    Check(chunk.start_offset >= last_start && chunk.end_offset >= last_end, "chunk offsets move back", text);
    last_start = chunk.start_offset;
    last_end = chunk.end_offset;
    Check(chunk.text == std::string_view(text).substr(static_cast<size_t>(chunk.start_offset),
                                                      static_cast<size_t>(chunk.end_offset - chunk.start_offset)),
          "chunk text is not text[start, end)", text);
    Check(Valid(chunk.text), "chunk text is not valid UTF-8", text);
    Check(chunk.tokens <= kMaxTokens, "a window with more tokens than fit", text);
  }
}

}  // namespace

// Loading tokenizers takes seconds under ASan; do it before the per-input
// timeout starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Scratch();
  Chunkers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string ext = kExtensions[data[0] & 3];
  const std::string_view content(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string file = (Scratch().path() / ("input" + ext)).string();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    Check(static_cast<bool>(out), "cannot write the input file");
  }
  imi::Result<std::vector<SourceDocument>> docs = imi::search::ReadDocuments(file);
  if (!docs.ok()) {
    Check(docs.status().code() == imi::StatusCode::kInvalidArgument, "a failure other than InvalidArgument",
          docs.status().ToString());
    Check(!Valid(content) || ext == ".jsonl", "valid UTF-8 rejected outside .jsonl", docs.status().ToString());
    return 0;
  }
  Check(Valid(content), "invalid UTF-8 accepted");
  Check(ext == ".jsonl" || docs->size() == 1, "a .txt/.md/.html file is not one document");
  auto& chunkers = Chunkers();
  for (const SourceDocument& doc : *docs) {
    Check(Valid(doc.text) && Valid(doc.id), "document text or id is not valid UTF-8", doc.text);
    Check(doc.metadata.is_object(), "metadata is not an object");
    try {
      (void)doc.metadata.dump();
    } catch (const std::exception& e) {
      Check(false, "metadata does not serialise", e.what());
    }
    if (chunkers.empty()) continue;
    const Chunker& chunker = *chunkers[(data[0] >> 2) % chunkers.size()];
    auto chunks = chunker.Split(doc.text);
    if (!chunks.ok()) continue;  // e.g. a model without unk on an unknown piece
    CheckChunks(doc.text, *chunks);
  }
  return 0;
}
