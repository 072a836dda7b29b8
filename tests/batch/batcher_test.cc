#include "batch/batcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_backend.h"

namespace imi::batch {
namespace {

using imi::testing::TestBackend;

std::vector<std::unique_ptr<PreparedInput>> EncodeAll(const TestBackend& backend,
                                                      const std::vector<std::string>& texts,
                                                      const EmbedOptions& options = {}) {
  std::vector<std::unique_ptr<PreparedInput>> inputs;
  for (const std::string& text : texts) {
    auto input = backend.Encode(text, options);
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    if (input.ok()) inputs.push_back(std::move(input).value());
  }
  return inputs;
}

// Polls (bounded) until `done` holds; the tests never assert on time itself.
template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 2000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return done();
}

TEST(BatcherTest, ReturnsEachInputsVectorInTheCallersOrder) {
  TestBackend backend;
  Batcher batcher(backend, {}, nullptr);
  const std::vector<std::string> texts = {"a much longer text than the others", "b", "ccc", "", "dd"};
  auto vectors = batcher.Embed(EncodeAll(backend, texts), {});
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ((*vectors)[i].vector, backend.ExpectedVector(texts[i])) << i;
}

TEST(BatcherTest, SixtyFourConcurrentClientsEachGetTheirOwnVectors) {
  TestBackend backend;
  Batcher batcher(backend, {.max_batch_tokens = 256, .max_queued_inputs = 4096}, nullptr);
  std::vector<std::thread> clients;
  std::vector<int> failures(64, 0);
  for (int c = 0; c < 64; ++c) {
    clients.emplace_back([&, c] {
      for (int round = 0; round < 5; ++round) {
        std::vector<std::string> texts;
        for (int i = 0; i < 1 + (c % 7); ++i) {
          texts.push_back("client " + std::to_string(c) + " round " + std::to_string(round) + std::string(i, 'x'));
        }
        auto vectors = batcher.Embed(EncodeAll(backend, texts), {});
        if (!vectors.ok() || vectors->size() != texts.size()) {
          ++failures[c];
          continue;
        }
        for (size_t i = 0; i < texts.size(); ++i) {
          if ((*vectors)[i].vector != backend.ExpectedVector(texts[i])) ++failures[c];
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < 64; ++c) EXPECT_EQ(failures[c], 0) << "client " << c;
}

TEST(BatcherTest, NoBatchExceedsThePaddedTokenBudgetUnlessOneInputAlone) {
  TestBackend backend(8, 64);
  Batcher batcher(backend, {.max_batch_tokens = 40, .max_queued_inputs = 4096}, nullptr);
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back(std::string(static_cast<size_t>(i % 13), 'k'));
  texts.push_back(std::string(60, 'z'));  // 62 tokens: over the budget on its own
  auto vectors = batcher.Embed(EncodeAll(backend, texts), {});
  ASSERT_TRUE(vectors.ok());
  const auto sizes = backend.BatchSizes();
  const auto padded = backend.PaddedTokens();
  ASSERT_EQ(sizes.size(), padded.size());
  size_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    total += sizes[i];
    if (sizes[i] > 1) {
      EXPECT_LE(padded[i], 40u) << "batch " << i;
    }
  }
  EXPECT_EQ(total, texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ((*vectors)[i].vector, backend.ExpectedVector(texts[i]));
}

TEST(BatcherTest, RequestsWaitingTogetherShareOneInferenceCall) {
  TestBackend backend;
  backend.infer_delay_ms = 200;
  Batcher batcher(backend, {}, nullptr);
  std::thread first([&] { (void)batcher.Embed(EncodeAll(backend, {"first"}), {}); });
  ASSERT_TRUE(WaitFor([&] { return backend.BatchSizes().size() == 1; }));
  std::vector<std::thread> waiting;
  for (int i = 0; i < 10; ++i) {
    waiting.emplace_back([&, i] {
      auto vectors = batcher.Embed(EncodeAll(backend, {"waiting " + std::to_string(i)}), {});
      EXPECT_TRUE(vectors.ok());
    });
  }
  ASSERT_TRUE(WaitFor([&] { return batcher.queued_inputs() == 10 || backend.BatchSizes().size() > 1; }));
  first.join();
  for (auto& t : waiting) t.join();
  const auto sizes = backend.BatchSizes();
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes[1], 10u);
}

TEST(BatcherTest, FullQueueRefusesWithResourceExhausted) {
  TestBackend backend;
  backend.infer_delay_ms = 200;
  Batcher batcher(backend, {.max_batch_tokens = 16384, .max_queued_inputs = 4}, nullptr);
  std::thread first([&] { (void)batcher.Embed(EncodeAll(backend, {"first"}), {}); });
  ASSERT_TRUE(WaitFor([&] { return backend.BatchSizes().size() == 1; }));
  std::thread second([&] { EXPECT_TRUE(batcher.Embed(EncodeAll(backend, {"a", "b", "c"}), {}).ok()); });
  ASSERT_TRUE(WaitFor([&] { return batcher.queued_inputs() == 3; }));
  auto refused = batcher.Embed(EncodeAll(backend, {"d", "e"}), {});
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  first.join();
  second.join();
}

TEST(BatcherTest, FailedBatchDeliversTheErrorToEveryRequestInIt) {
  TestBackend backend;
  Batcher batcher(backend, {}, nullptr);
  auto failed = batcher.Embed(EncodeAll(backend, {"fine", "__fail__"}), {});
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  auto later = batcher.Embed(EncodeAll(backend, {"fine"}), {});
  EXPECT_TRUE(later.ok());
}

TEST(BatcherTest, InputsWithDifferentInferenceOptionsAreNotMixed) {
  TestBackend backend;
  Batcher batcher(backend, {}, nullptr);
  EmbedOptions small;
  small.dimensions = 4;
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&, i] {
      const EmbedOptions options = (i % 2 == 0) ? small : EmbedOptions{};
      const std::string text = "text " + std::to_string(i);
      auto vectors = batcher.Embed(EncodeAll(backend, {text}, options), options);
      ASSERT_TRUE(vectors.ok());
      EXPECT_EQ((*vectors)[0].vector, backend.ExpectedVector(text, options));
    });
  }
  for (auto& t : clients) t.join();
}

TEST(BatcherTest, StopFinishesQueuedWorkThenRefusesNewWork) {
  TestBackend backend;
  backend.infer_delay_ms = 50;
  Batcher batcher(backend, {}, nullptr);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      if (batcher.Embed(EncodeAll(backend, {std::to_string(i) + "t"}), {}).ok()) ++ok;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return !backend.BatchSizes().empty(); }));
  ASSERT_TRUE(WaitFor([&] {
    size_t seen = batcher.queued_inputs();
    for (size_t s : backend.BatchSizes()) seen += s;
    return seen == 4;
  }));
  batcher.Stop();
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(batcher.Embed(EncodeAll(backend, {"late"}), {}).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace imi::batch
