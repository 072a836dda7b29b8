// The postgres backend across a database restart and an outage. The test
// runs its own throw-away cluster (scripts/pg_test_cluster.sh) so stopping
// it cannot disturb other suites using IMI_TEST_PG_DSN.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), pipe)) out += buf;
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

class PgRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dsn = std::getenv("IMI_TEST_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: the postgres restart test was skipped";
    char pattern[] = "/tmp/imi-pg-restart.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    dsn_ = RunCapture("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh start " + dir_ + " 2>/dev/null");
    ASSERT_FALSE(dsn_.empty()) << "scripts/pg_test_cluster.sh could not start a cluster in " << dir_;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dsn_, m, std::regex(":([0-9]+)/"))) << dsn_;
    port_ = m[1];
  }
  void TearDown() override {
    if (!dir_.empty()) (void)std::system(("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  // pg_ctl as the cluster's owner (postgres when running as root).
  int PgCtl(const std::string& args) {
    std::string cmd = std::string(kPgBin) + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w " + args;
    if (::geteuid() == 0) cmd = "runuser -u postgres -- " + cmd;
    return std::system((cmd + " >/dev/null 2>&1").c_str());
  }
  std::string ServerOptions() { return "-o \"-k " + dir_ + " -p " + port_ + " -c listen_addresses=127.0.0.1\""; }

  std::string dir_, dsn_, port_;
};

TEST_F(PgRestartTest, StoreReconnectsAfterRestartAndReportsAnOutageAsUnavailable) {
  auto store = OpenPostgresStore(dsn_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateCollection({"c", "m", "r", 3, Metric::kCosine}).ok());
  ASSERT_TRUE((*store)->Upsert("c", {Doc("a", {1, 2, 3})}).ok());
  SearchRequest request;
  request.vector = {1, 2, 3};

  ASSERT_EQ(PgCtl("-m fast restart " + ServerOptions()), 0) << "pg_ctl restart failed";
  auto after_restart = (*store)->Search("c", request);
  ASSERT_TRUE(after_restart.ok()) << after_restart.status().ToString();
  ASSERT_EQ(after_restart->hits.size(), 1u);

  ASSERT_EQ(PgCtl("-m fast stop"), 0) << "pg_ctl stop failed";
  auto down = (*store)->Search("c", request);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().ToString();
  EXPECT_EQ(HttpStatusFor(down.status().code()), 503);
  EXPECT_EQ((*store)->Upsert("c", {Doc("b", {1, 0, 0})}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(OpenPostgresStore(dsn_).status().code(), StatusCode::kUnavailable);

  ASSERT_EQ(PgCtl("start " + ServerOptions()), 0) << "pg_ctl start failed";
  ASSERT_TRUE((*store)->Upsert("c", {Doc("b", {1, 0, 0})}).ok());
  auto back = (*store)->Search("c", request);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->hits.size(), 2u);
}

}  // namespace
}  // namespace imi::store
