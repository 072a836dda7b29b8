// Test helper for durability_test: writes to an embedded store and reports
// each acknowledged write on stdout, until the test kills it.
//   store_writer DIR batches [MAX]  batches of 10 one-chunk documents, "ACK <n>" after each
//   store_writer DIR big N     "BEGIN", one batch of N two-chunk documents, "ACK"
//   store_writer DIR lexical   batches of 10 documents with Japanese text (two
//                              chunks, one with a sparse vector) into a
//                              collection with the ja-mecab and ja-bigram
//                              analysers, replacing and deleting earlier ones;
//                              "ACK <n>" after each batch
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/vector_store.h"

using imi::store::Chunk;
using imi::store::Document;

namespace {

constexpr int kDim = 32;

Document MakeDoc(const std::string& id, int chunks, int seed) {
  Document doc;
  doc.id = id;
  doc.text = "document " + id;
  doc.metadata = {{"seed", seed}};
  for (int c = 0; c < chunks; ++c) {
    Chunk chunk;
    chunk.ordinal = c;
    chunk.text = doc.text;
    for (int i = 0; i < kDim; ++i) chunk.vector.push_back(static_cast<float>((seed * 31 + i * 7 + c) % 97) + 1.0f);
    doc.chunks.push_back(std::move(chunk));
  }
  return doc;
}

// "b<batch>-<i>", the id durability_test looks for.
std::string BatchDocId(int batch, int i) {
  std::string id = "b";
  id.append(std::to_string(batch)).append("-").append(std::to_string(i));
  return id;
}

// The text of document `id` (seed `seed`): a marker word only it has, and
// common words so that statistics change with every batch.
std::string LexicalText(const std::string& id, int seed) {
  static const char* kWords[] = {"水道", "料金", "ごみ", "図書館", "断水", "保育園", "防災", "公園"};
  std::string text = "文書" + id + "の案内。";
  for (int i = 0; i < 3 + seed % 5; ++i) text += kWords[(seed * 7 + i) % 8];
  return text + "について。";
}

int Fail(const imi::Status& status) {
  std::fprintf(stderr, "store_writer: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store_writer DIR batches | store_writer DIR big N\n");
    return 2;
  }
  imi::store::EmbeddedOptions options;
  options.directory = argv[1];
  auto store = imi::store::OpenEmbeddedStore(options);
  if (!store.ok()) return Fail(store.status());
  std::string mode = argv[2];
  if (mode == "lexical") {
    imi::store::CollectionSpec spec{"lexdurable", "test/model", "r1", kDim, imi::store::Metric::kCosine, {}};
    spec.lexical.analyzers = {"ja-mecab", "ja-bigram"};
    imi::Status created = (*store)->CreateCollection(spec);
    if (!created.ok()) return Fail(created);
    for (int batch = 0;; ++batch) {
      std::vector<Document> docs;
      for (int i = 0; i < 10; ++i) {
        // Every third batch also rewrites a document of the batch before.
        const std::string id = (i == 9 && batch % 3 == 2) ? BatchDocId(batch - 1, 0) : BatchDocId(batch, i);
        Document doc = MakeDoc(id, 2, batch * 10 + i);
        doc.chunks[0].text = LexicalText(id, batch * 10 + i);
        doc.chunks[1].text = "共通の文。" + std::to_string(batch);
        doc.chunks[0].sparse = imi::lexical::SparseVector{{7, static_cast<uint32_t>(1000 + batch)}, {0.5f, 1.0f}};
        doc.text = doc.chunks[0].text + doc.chunks[1].text;
        docs.push_back(std::move(doc));
      }
      auto result = (*store)->Upsert("lexdurable", std::move(docs));
      if (!result.ok()) return Fail(result.status());
      if (batch % 4 == 3) {
        imi::Status deleted = (*store)->DeleteDocument("lexdurable", BatchDocId(batch, 5));
        if (!deleted.ok()) return Fail(deleted);
      }
      std::printf("ACK %d\n", batch);
      std::fflush(stdout);
    }
  }
  imi::Status created = (*store)->CreateCollection({"durable", "test/model", "r1", kDim, imi::store::Metric::kCosine, {}});
  if (!created.ok()) return Fail(created);
  if (mode == "batches") {
    const int max_batches = argc > 3 ? std::atoi(argv[3]) : -1;
    for (int batch = 0; max_batches < 0 || batch < max_batches; ++batch) {
      std::vector<Document> docs;
      for (int i = 0; i < 10; ++i) docs.push_back(MakeDoc(BatchDocId(batch, i), 1, batch * 10 + i));
      auto result = (*store)->Upsert("durable", std::move(docs));
      if (!result.ok()) return Fail(result.status());
      std::printf("ACK %d\n", batch);
      std::fflush(stdout);
    }
    return 0;
  }
  if (mode == "big" && argc > 3) {
    int n = std::atoi(argv[3]);
    std::vector<Document> docs;
    for (int i = 0; i < n; ++i) docs.push_back(MakeDoc("big-" + std::to_string(i), 2, i));
    std::printf("BEGIN\n");
    std::fflush(stdout);
    auto result = (*store)->Upsert("durable", std::move(docs));
    if (!result.ok()) return Fail(result.status());
    std::printf("ACK\n");
    std::fflush(stdout);
    return 0;
  }
  std::fprintf(stderr, "store_writer: unknown mode %s\n", mode.c_str());
  return 2;
}
