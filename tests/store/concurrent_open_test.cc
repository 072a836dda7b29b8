// Several processes opening a new store and creating the same collection at
// once all succeed (embedded; postgres when IMI_TEST_PG_DSN is set): schema,
// store id and collection creation are idempotent under concurrency.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::TempDir;

constexpr int kProcesses = 4;

// Runs `body` in kProcesses children released at once; their exit codes.
template <typename Body>
std::vector<int> InChildren(Body body) {
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // returns when the parent closes its end
      ::_exit(body());
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

int OpenAndCreate(const StoreLocation& location, const CollectionSpec& spec) {
  auto store = OpenVectorStore(location);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  Status created = (*store)->CreateCollection(spec);
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n", created.ToString().c_str());
    return 2;
  }
  auto info = (*store)->GetCollection(spec.name);
  return info.ok() ? 0 : 3;
}

TEST(ConcurrentOpenTest, EmbeddedStoreAndCollectionAppearOnceForConcurrentOpeners) {
  for (int round = 0; round < 25; ++round) {
    TempDir dir;
    const StoreLocation location{dir.path() + "/new-store", ""};
    const CollectionSpec spec{"race", "test/model", "r1", 8, Metric::kCosine};
    std::vector<int> codes = InChildren([&] { return OpenAndCreate(location, spec); });
    for (int code : codes) ASSERT_EQ(code, 0) << "round " << round;
    auto store = OpenVectorStore(location);
    ASSERT_TRUE(store.ok());
    auto list = (*store)->ListCollections();
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->size(), 1u);
  }
}

TEST(ConcurrentOpenTest, PostgresSchemaAndCollectionAppearOnceForConcurrentOpeners) {
  const char* dsn = std::getenv("IMI_TEST_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set";
  for (int round = 0; round < 10; ++round) {
    const StoreLocation location{"", dsn};
    const CollectionSpec spec{testing::UniqueName("race"), "test/model", "r1", 8, Metric::kCosine};
    std::vector<int> codes = InChildren([&] { return OpenAndCreate(location, spec); });
    for (int code : codes) ASSERT_EQ(code, 0) << "round " << round;
    auto store = OpenVectorStore(location);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE((*store)->DeleteCollection(spec.name).ok());
  }
}

}  // namespace
}  // namespace imi::store
