// The postgres backend while the server is frozen (SIGSTOP): calls fail with
// Unavailable within the statement or connect timeout instead of hanging,
// the pool is not exhausted for good, Interrupt() frees a waiting call at
// once, and everything works again after SIGCONT. Runs its own throw-away
// cluster (scripts/pg_test_cluster.sh) so freezing it cannot disturb other
// suites using IMI_TEST_PG_DSN.
#include <gtest/gtest.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include "store/vector_store.h"
#include "store_test_util.h"

namespace imi::store {
namespace {

using testing::Doc;

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

// The postmaster of the cluster in `dir` and its children.
std::vector<pid_t> ClusterProcesses(const std::string& dir) {
  std::ifstream pid_file(dir + "/data/postmaster.pid");
  pid_t postmaster = 0;
  pid_file >> postmaster;
  std::vector<pid_t> pids;
  if (postmaster <= 0) return pids;
  pids.push_back(postmaster);
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = proc ? ::readdir(proc) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == postmaster) pids.push_back(pid);
  }
  if (proc) ::closedir(proc);
  return pids;
}

class PgStallTest : public ::testing::Test {
 public:
  void Signal(int signal_number) {
    if (dir_.empty()) return;
    for (pid_t pid : ClusterProcesses(dir_)) ::kill(pid, signal_number);
  }

 protected:
  void SetUp() override {
    const char* dsn = std::getenv("IMI_TEST_PG_DSN");
    if (dsn == nullptr || *dsn == '\0') GTEST_SKIP() << "IMI_TEST_PG_DSN is not set: the postgres stall test was skipped";
    char pattern[] = "/tmp/imi-pg-stall.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    dsn_ = RunCapture("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh start " + dir_ + " 2>/dev/null");
    ASSERT_FALSE(dsn_.empty()) << "scripts/pg_test_cluster.sh could not start a cluster in " << dir_;
  }
  void TearDown() override {
    Signal(SIGCONT);
    if (!dir_.empty()) (void)std::system(("bash " + std::string(IMI_SOURCE_DIR) + "/scripts/pg_test_cluster.sh stop " + dir_ + " >/dev/null 2>&1").c_str());
  }
  std::string dir_, dsn_;
};

using Clock = std::chrono::steady_clock;

// Runs `call` in a thread; its status, or Internal when it did not return
// within `limit` (the frozen server is then thawed so that the thread can
// finish and the test fails instead of hanging).
template <typename Call>
Status Within(Call call, std::chrono::seconds limit, PgStallTest* test, double* seconds) {
  const auto start = Clock::now();
  auto future = std::async(std::launch::async, call);
  if (future.wait_for(limit) != std::future_status::ready) {
    test->Signal(SIGCONT);
    (void)future.get();
    return Status::Internal("the call did not return within " + std::to_string(limit.count()) + " s");
  }
  *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return future.get();
}

TEST_F(PgStallTest, AFrozenServerMakesCallsUnavailableWithinTheTimeoutsAndInterruptFreesThem) {
  PostgresOptions options;
  options.dsn = dsn_;
  options.pool_size = 2;
  options.connect_timeout_ms = 1500;
  options.statement_timeout_ms = 1500;
  auto opened = OpenPostgresStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  VectorStore* store = opened->get();
  ASSERT_TRUE(store->CreateCollection({"c", "m", "r", 3, Metric::kCosine}).ok());
  ASSERT_TRUE(store->Upsert("c", {Doc("a", {1, 2, 3})}).ok());
  SearchRequest request;
  request.vector = {1, 2, 3};

  Signal(SIGSTOP);
  // More calls than connections: the ones on pooled connections time out
  // on their statement, the others on waiting for a connection or on
  // connecting; none waits for the server to come back.
  std::vector<std::future<std::pair<Status, double>>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      double seconds = 0;
      Status s = Within([&] { return store->Search("c", request).status(); }, std::chrono::seconds(20), this, &seconds);
      return std::make_pair(s, seconds);
    }));
  }
  for (auto& call : calls) {
    auto [status, seconds] = call.get();
    EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
    EXPECT_LT(seconds, 8.0) << status.ToString();
  }
  // Thawed: the same store works again (timed-out connections were dropped).
  Signal(SIGCONT);
  auto back = store->Search("c", request);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->hits.size(), 1u);

  // Frozen again, a call waiting on the server returns as soon as the store
  // is interrupted (as imi serve does at its shutdown deadline).
  PostgresOptions patient = options;
  patient.statement_timeout_ms = 60000;
  auto slow_store = OpenPostgresStore(patient);
  ASSERT_TRUE(slow_store.ok());
  Signal(SIGSTOP);
  const auto start = Clock::now();
  auto waiting = std::async(std::launch::async, [&] { return (*slow_store)->Search("c", request).status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  (*slow_store)->Interrupt();
  if (waiting.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    Signal(SIGCONT);
    FAIL() << "Interrupt did not free the call";
  }
  const Status interrupted = waiting.get();
  EXPECT_EQ(interrupted.code(), StatusCode::kUnavailable) << interrupted.ToString();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5.0);
  EXPECT_EQ((*slow_store)->GetCollection("c").status().code(), StatusCode::kUnavailable);
  Signal(SIGCONT);
}

}  // namespace
}  // namespace imi::store
