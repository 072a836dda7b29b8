#include "server/http_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "raw_http_client.h"
#include "test_backend.h"

namespace imi::server {
namespace {

using nlohmann::json;
using testing::Exchange;
using testing::RawResponse;
using testing::Request;

// A server on a free loopback port with short deadlines, and the test backend.
class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}, ApiConfig config = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    if (options.header_timeout_ms == HttpServerOptions{}.header_timeout_ms) options.header_timeout_ms = 1000;
    if (options.body_timeout_ms == HttpServerOptions{}.body_timeout_ms) options.body_timeout_ms = 1000;
    if (options.idle_timeout_ms == HttpServerOptions{}.idle_timeout_ms) options.idle_timeout_ms = 1000;
    api_ = std::make_unique<Api>(config);
    auto backend = std::make_unique<testing::TestBackend>();
    backend_ = backend.get();
    api_->SetBackend(std::move(backend));
    auto server = HttpServer::Start(options, api_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    port_ = server_->port();
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::milliseconds(2000));
    server_.reset();
    if (api_ != nullptr) api_->Stop();
  }

  // Embeds `texts` over HTTP and checks every vector against the backend.
  bool EmbedsCorrectly(const std::vector<std::string>& texts) {
    const RawResponse res = Request(port_, "POST", "/embed", json{{"texts", texts}}.dump());
    if (res.status != 200) return false;
    const json doc = json::parse(res.body, nullptr, false);
    if (doc.is_discarded() || doc["count"] != texts.size()) return false;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (doc["vectors"][i].get<std::vector<float>>() != backend_->ExpectedVector(texts[i])) return false;
    }
    return true;
  }

  std::unique_ptr<Api> api_;
  testing::TestBackend* backend_ = nullptr;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpServerTest, ServesHealthAndEmbeddingsOverHttp) {
  StartServer();
  const RawResponse health = Request(port_, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "{\"ok\":true}");
  EXPECT_EQ(health.headers.at("content-type"), "application/json");
  EXPECT_TRUE(EmbedsCorrectly({"動的計画法", "グラフ理論", "深さ優先探索"}));
  const RawResponse get = Request(port_, "GET", "/embed?q=%E3%83%99%E3%83%AB%E3%83%9E%E3%83%B3%E3%83%95%E3%82%A9%E3%83%BC%E3%83%89");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(json::parse(get.body)["text"], "ベルマンフォード");
}

TEST_F(HttpServerTest, ResponsesAreNeverCompressed) {
  StartServer();
  const RawResponse res = Request(port_, "GET", "/openapi.json", "", {"Accept-Encoding: br, gzip"});
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.headers.count("content-encoding"), 0u);
  EXPECT_FALSE(json::parse(res.body, nullptr, false).is_discarded());
}

TEST_F(HttpServerTest, KeepAliveConnectionServesSeveralRequests) {
  StartServer();
  testing::RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  for (int i = 0; i < 3; ++i) {
    const std::string body = json{{"texts", {"keep " + std::to_string(i)}}}.dump();
    ASSERT_TRUE(conn.Send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body));
    const RawResponse res = conn.Read();
    ASSERT_EQ(res.status, 200) << i;
    EXPECT_EQ(json::parse(res.body)["vectors"][0].get<std::vector<float>>(),
              backend_->ExpectedVector("keep " + std::to_string(i)));
  }
}

TEST_F(HttpServerTest, SixtyFourConcurrentClientsEachGetTheirOwnVectorsInOrder) {
  StartServer();
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 64; ++c) {
    clients.emplace_back([&, c] {
      for (int round = 0; round < 8; ++round) {
        std::vector<std::string> texts;
        for (int i = 0; i <= (c + round) % 6; ++i) {
          texts.push_back(std::to_string(c) + "c r" + std::to_string(round) + " i" + std::to_string(i));
        }
        if (!EmbedsCorrectly(texts)) ++failures;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapGet503AndAreClosed) {
  HttpServerOptions options;
  options.max_connections = 3;
  options.header_timeout_ms = 3000;
  StartServer(options);
  std::vector<std::unique_ptr<testing::RawConnection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<testing::RawConnection>(port_));
    ASSERT_TRUE(idle.back()->connected());
    ASSERT_TRUE(idle.back()->Send("GET /healthz HTTP/1.1\r\n"));  // holds the connection open
  }
  // The acceptor admits in order; wait until it has seen all three.
  for (int i = 0; i < 500; ++i) {
    if (api_->metrics().Render(0, true).find("imi_http_open_connections 3") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const RawResponse refused = Request(port_, "GET", "/healthz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(json::parse(refused.body)["error"]["code"], "too_many_connections");
  idle.clear();
}

TEST_F(HttpServerTest, HostileCorpusGetsTheExpectedStatusAndTheServerStaysCorrect) {
  StartServer();
  const std::string path = std::string(IMI_SOURCE_DIR) + "/tests/data/server/hostile/hostile.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::vector<json> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) cases.push_back(json::parse(line));
  }
  ASSERT_GE(cases.size(), 100u);

  std::mutex mutex;
  std::vector<std::string> mismatches;
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t i = next++; i < cases.size(); i = next++) {
      const json& c = cases[i];
      std::vector<std::string> parts;
      if (c.contains("parts")) {
        for (const auto& p : c["parts"]) parts.push_back(testing::ExpandMacros(p.get<std::string>()));
      } else {
        const std::string body = testing::ExpandMacros(c["body"].get<std::string>());
        std::string head = c["method"].get<std::string>() + " " + c["path"].get<std::string>() +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
        if (!c.value("omit_length", false)) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        parts.push_back(head + "\r\n" + body);
      }
      const RawResponse res = Exchange(port_, parts, c.value("delay_ms", 0), c.value("half_close", false), 8000);
      const int expect = c["expect"];
      std::string problem;
      if (res.status != expect) {
        problem = "got " + std::to_string(res.status) + " " + res.body.substr(0, 200);
      } else if (expect >= 400) {
        // The route family's shape (docs/api.md, "Errors"): Ollama's and
        // TEI's carry the message as a string, the others an object.
        const json error = json::parse(res.body, nullptr, false);
        const bool object_shape = error.is_object() && error.contains("error") && error["error"].is_object() &&
                                  error["error"].value("message", json()).is_string() &&
                                  error["error"].value("code", json()).is_string();
        const bool string_shape = error.is_object() && error.contains("error") && error["error"].is_string();
        if (!object_shape && !string_shape) {
          problem = "error body is not a family's error shape: " + res.body.substr(0, 200);
        }
      }
      if (!problem.empty()) {
        std::lock_guard<std::mutex> lock(mutex);
        mismatches.push_back(c["name"].get<std::string>() + " (expected " + std::to_string(expect) + "): " + problem);
      }
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < 16; ++w) workers.emplace_back(run);
  for (auto& t : workers) t.join();
  for (const std::string& m : mismatches) ADD_FAILURE() << m;

  // Alive and correct afterwards.
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
  EXPECT_TRUE(EmbedsCorrectly({"after the storm", "まだ動く"}));
}

TEST_F(HttpServerTest, ABodyAnnouncedByContentLengthBelongsToItsRequestWhateverTheMethod) {
  StartServer();
  const std::string inner = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* method : {"GET", "OPTIONS", "DELETE"}) {
    testing::RawConnection conn(port_);
    ASSERT_TRUE(conn.Send(std::string(method) + " /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(inner.size()) + "\r\n\r\n" + inner));
    const RawResponse first = conn.Read();
    EXPECT_NE(first.status, 0) << method;
    EXPECT_NE(first.status, 404) << method;
    const RawResponse second = conn.Read(500);
    EXPECT_EQ(second.status, 0) << method << ": the body was run as a request of its own";
  }
}

TEST_F(HttpServerTest, Http10KeepAliveAndExpectContinueWork) {
  StartServer();
  testing::RawConnection conn(port_);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(conn.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const RawResponse res = conn.Read();
    ASSERT_EQ(res.status, 200) << i;
    EXPECT_EQ(res.headers.at("connection"), "keep-alive");
  }
  const std::string body = json{{"texts", {"continue"}}}.dump();
  testing::RawConnection expect(port_);
  ASSERT_TRUE(expect.Send("POST /embed HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n"));
  pollfd p{expect.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  char interim[64] = {0};
  ASSERT_GT(recv(expect.fd(), interim, sizeof(interim) - 1, 0), 0);
  EXPECT_EQ(std::string(interim), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(expect.Send(body));
  EXPECT_EQ(expect.Read().status, 200);
}

TEST_F(HttpServerTest, ConnectionsOverThePerAddressLimitGet503WhileOtherAddressesAreServed) {
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  options.header_timeout_ms = 3000;
  StartServer(options);
  std::vector<std::unique_ptr<testing::RawConnection>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<testing::RawConnection>(port_, "127.0.0.2"));
    ASSERT_TRUE(held.back()->Send("GET /healthz HTTP/1.1\r\n"));
  }
  for (int i = 0; i < 500; ++i) {
    if (api_->metrics().Render(0, true).find("imi_http_open_connections 2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  testing::RawConnection third(port_, "127.0.0.2");
  third.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const RawResponse refused = third.Read();
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(json::parse(refused.body)["error"]["code"], "too_many_connections_from_address");
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
}

TEST_F(HttpServerTest, RequestsOverTheMemoryBudgetWaitThenGet503WithRetryAfter) {
  HttpServerOptions options;
  options.memory_wait_ms = 300;
  ApiConfig config;
  config.memory_budget_bytes = 3 * 1024 * 1024;
  StartServer(options, config);
  // A 2 MB body half sent holds its reservation.
  const std::string big = json{{"texts", {std::string(2000000, 'a')}}}.dump();
  testing::RawConnection holder(port_);
  ASSERT_TRUE(holder.Send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(big.size()) +
                          "\r\n\r\n" + big.substr(0, 1000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  const RawResponse refused = Request(port_, "POST", "/embed", big);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers.count("retry-after"), 1u);
  EXPECT_NE(refused.body.find("memory budget"), std::string::npos) << refused.body;
  // Small requests still fit beside it.
  EXPECT_TRUE(EmbedsCorrectly({"small"}));
  // A request over the whole budget is 413 at once.
  ApiConfig tiny;
  tiny.memory_budget_bytes = 1024 * 1024;
  TearDown();
  StartServer({}, tiny);
  const RawResponse too_large = Request(port_, "POST", "/embed", big);
  EXPECT_EQ(too_large.status, 413) << too_large.body;
}

TEST_F(HttpServerTest, FieldsARouteDoesNotReadAreNotBuiltAndTheRestIsCharged) {
  ApiConfig config;
  config.memory_budget_bytes = 8 * 1024 * 1024;
  StartServer({}, config);
  std::string junk;
  while (junk.size() < 1800000) junk += "{},";
  junk += "{}";
  // 600k empty objects would need ~60 MB as a tree: skipped, they cost nothing.
  const RawResponse skipped = Request(port_, "POST", "/embed", "{\"texts\":[\"a\"],\"junk\":[" + junk + "]}");
  EXPECT_EQ(skipped.status, 200) << skipped.body;
  // In a field the route reads they are built, and over the budget: 413.
  const RawResponse built = Request(port_, "POST", "/embed", "{\"texts\":[" + junk + "]}");
  EXPECT_EQ(built.status, 413) << built.body;
  EXPECT_NE(built.body.find("memory budget"), std::string::npos) << built.body;
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequestsAndRefusesNewConnections) {
  StartServer();
  backend_->infer_delay_ms = 300;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      if (EmbedsCorrectly({"in flight " + std::to_string(c)})) ++ok;
    });
  }
  // Wait until the first batch is running, so the requests are in flight.
  for (int i = 0; i < 1000 && backend_->BatchSizes().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_->Shutdown(std::chrono::milliseconds(5000));
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8);
  testing::RawConnection late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, ShutdownAnswersConnectionsMadeBeforeItWhoseRequestsComeJustAfter) {
  StartServer();
  // Some connections are accepted before the shutdown, the last ones are
  // still in the kernel's queue: none has sent a byte yet.
  std::vector<std::unique_ptr<testing::RawConnection>> early;
  for (int c = 0; c < 8; ++c) {
    early.push_back(std::make_unique<testing::RawConnection>(port_));
    ASSERT_TRUE(early.back()->connected());
    if (c == 5) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::thread shutdown([this] { server_->Shutdown(std::chrono::milliseconds(5000)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string body = json{{"texts", {"間に合った"}}}.dump();
  for (auto& connection : early) {
    ASSERT_TRUE(connection->Send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  }
  for (auto& connection : early) {
    const RawResponse res = connection->Read();
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.headers.count("connection") ? res.headers.at("connection") : "", "close");
  }
  shutdown.join();
  testing::RawConnection late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, ShutdownClosesAConnectionThatSendsNothingAfterAShortWait) {
  HttpServerOptions options;
  options.header_timeout_ms = 60000;
  StartServer(options);
  testing::RawConnection silent(port_);
  ASSERT_TRUE(silent.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::milliseconds(30000));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(5)) << "a silent connection held the shutdown";
  EXPECT_EQ(silent.Read(1000).status, 0);
}

}  // namespace
}  // namespace imi::server
