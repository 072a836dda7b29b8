#include "server/api.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/routes.h"
#include "test_backend.h"

namespace imi::server {
namespace {

using nlohmann::json;

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

HttpRequest MakeRequest(const std::string& method, const std::string& target, std::string body = "") {
  HttpRequest request;
  request.method = method;
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      size_t amp = rest.find('&', start);
      if (amp == std::string::npos) amp = rest.size();
      const std::string pair = rest.substr(start, amp - start);
      const size_t eq = pair.find('=');
      if (!pair.empty()) {
        request.query.emplace(PercentDecode(pair.substr(0, eq)),
                              eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1)));
      }
      start = amp + 1;
    }
  }
  request.body = std::move(body);
  request.remote_addr = "127.0.0.1";
  return request;
}

std::string HeaderOf(const HttpResponse& res, const std::string& lower_name) {
  for (const auto& [name, value] : res.headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == lower_name) return value;
  }
  return "";
}

// The error family a case's path answers in (docs/api.md, "Errors"), unless
// the case names it ("family": POST /embed with TEI's "inputs").
std::string FamilyOfPath(const std::string& path) {
  if (path.rfind("/v1/", 0) == 0 || path == "/embeddings") return "openai";
  if (path.rfind("/api/", 0) == 0) return "ollama";
  if (path == "/tokenize" || path == "/info" || path == "/invocations" || path == "/health" || path == "/ping") {
    return "tei";
  }
  return "imi";
}

// Each family's error body, with the message where its clients read it.
void ExpectErrorShape(const std::string& family, const std::string& body) {
  SCOPED_TRACE(family + " error " + body);
  const json error = json::parse(body, nullptr, false);
  ASSERT_TRUE(error.is_object());
  if (family == "ollama") {
    EXPECT_TRUE(error["error"].is_string());
    EXPECT_EQ(error.size(), 1u);
    return;
  }
  if (family == "tei") {
    EXPECT_TRUE(error["error"].is_string());
    EXPECT_TRUE(error["error_type"].is_string());
    return;
  }
  EXPECT_TRUE(error["error"]["message"].is_string());
  EXPECT_TRUE(error["error"]["type"].is_string());
  EXPECT_TRUE(error["error"]["code"].is_string());
  EXPECT_EQ(error["error"].contains("param"), family == "openai");
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { api_ = MakeApi({}); }

  std::unique_ptr<Api> MakeApi(ApiConfig config, bool ready = true) {
    config.version = "test";
    auto api = std::make_unique<Api>(config);
    if (ready) {
      auto backend = std::make_unique<testing::TestBackend>();
      backend_ = backend.get();
      api->SetBackend(std::move(backend));
    }
    return api;
  }

  HttpResponse Post(const std::string& path, const json& body) {
    return api_->Handle(MakeRequest("POST", path, body.dump()));
  }

  std::unique_ptr<Api> api_;
  testing::TestBackend* backend_ = nullptr;
};

TEST_F(ApiTest, EveryCaseInTheRouteTableFileAnswersAsExpected) {
  const std::string path = std::string(IMI_SOURCE_DIR) + "/tests/data/server/routes.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json c = json::parse(line);
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    ++cases;
    std::string body;
    if (c.contains("body")) body = c["body"].dump();
    if (c.contains("raw_body")) body = c["raw_body"].get<std::string>();
    if (c.contains("body_repeat")) {
      json items = json::array();
      for (int i = 0; i < c["body_repeat"]["count"].get<int>(); ++i) items.push_back(c["body_repeat"]["item"]);
      body = json{{c["body_repeat"]["field"].get<std::string>(), items}}.dump();
    }
    const HttpResponse res = api_->Handle(MakeRequest(c.at("method"), c.at("path"), body));
    EXPECT_EQ(res.status, c.at("status").get<int>()) << res.body;
    if (c.contains("contains")) {
      EXPECT_NE(res.body.find(c["contains"].get<std::string>()), std::string::npos) << res.body;
    }
    if (c.contains("content_type")) {
      EXPECT_EQ(res.content_type, c["content_type"].get<std::string>());
    }
    if (c.contains("headers_out")) {
      for (const auto& [header, value] : c["headers_out"].items()) EXPECT_EQ(HeaderOf(res, header), value) << header;
    }
    if (res.status >= 400) ExpectErrorShape(c.value("family", FamilyOfPath(c.at("path"))), res.body);
    if (!c.contains("equals") && !c.contains("has") && !c.contains("array_sizes")) continue;
    const json doc = json::parse(res.body, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << res.body;
    const json equals = c.value("equals", json::object());
    const json has = c.value("has", json::array());
    const json sizes = c.value("array_sizes", json::object());
    for (const auto& [pointer, value] : equals.items()) {
      const json::json_pointer at(pointer);
      EXPECT_EQ(doc.contains(at) ? doc.at(at) : json(), value) << pointer;
    }
    for (const auto& pointer : has) {
      EXPECT_TRUE(doc.contains(json::json_pointer(pointer.get<std::string>()))) << pointer;
    }
    for (const auto& [pointer, size] : sizes.items()) {
      const json& node = doc.at(json::json_pointer(pointer));
      ASSERT_TRUE(node.is_array()) << pointer;
      EXPECT_EQ(node.size(), size.get<size_t>()) << pointer;
    }
  }
  EXPECT_GE(cases, 40);
}

TEST_F(ApiTest, VectorsFromEveryRouteEqualTheBackendsOwn) {
  const std::string text = "ベルマンフォード";
  const std::vector<float> expected = backend_->ExpectedVector(text);
  auto floats = [](const json& array) { return array.get<std::vector<float>>(); };

  HttpRequest get = MakeRequest("GET", "/embed");
  get.query.emplace("q", text);
  EXPECT_EQ(floats(json::parse(api_->Handle(get).body)["vector"]), expected);
  EXPECT_EQ(floats(json::parse(Post("/embed", {{"texts", {"x", text}}}).body)["vectors"][1]), expected);
  EXPECT_EQ(floats(json::parse(Post("/embed", {{"inputs", text}, {"normalize", false}}).body)[0]), expected);
  EXPECT_EQ(floats(json::parse(Post("/v1/embeddings", {{"input", {text}}}).body)["data"][0]["embedding"]), expected);
  EXPECT_EQ(floats(json::parse(Post("/api/embed", {{"input", text}}).body)["embeddings"][0]), expected);
  EXPECT_EQ(floats(json::parse(Post("/api/embeddings", {{"prompt", text}}).body)["embedding"]), expected);
}

TEST_F(ApiTest, TeiNormalisesByDefault) {
  const json out = json::parse(Post("/embed", {{"inputs", "abc"}}).body);
  batch::EmbedOptions options;
  options.normalize = true;
  EXPECT_EQ(out[0].get<std::vector<float>>(), backend_->ExpectedVector("abc", options));
}

TEST_F(ApiTest, OpenAiBase64IsLittleEndianFloat32OfTheVector) {
  const json out = json::parse(Post("/v1/embeddings", {{"input", "abc"}, {"encoding_format", "base64"}}).body);
  const std::string b64 = out["data"][0]["embedding"];
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  const std::vector<float> expected = backend_->ExpectedVector("abc");
  ASSERT_EQ(bytes.size(), expected.size() * 4);
  for (size_t i = 0; i < expected.size(); ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i * 4 + b])) << (8 * b);
    float f;
    std::memcpy(&f, &u, 4);
    EXPECT_EQ(f, expected[i]) << i;
  }
}

TEST_F(ApiTest, WhileLoadingHealthzAndEmbeddingRoutesAnswer503WithRetryAfter) {
  auto loading = MakeApi({}, /*ready=*/false);
  HttpResponse health = loading->Handle(MakeRequest("GET", "/healthz"));
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(json::parse(health.body)["ok"], false);
  EXPECT_EQ(json::parse(health.body)["status"], "loading");
  HttpResponse embed = loading->Handle(MakeRequest("GET", "/embed?q=a"));
  EXPECT_EQ(embed.status, 503);
  EXPECT_EQ(HeaderOf(embed, "retry-after"), "1");
  EXPECT_EQ(loading->Handle(MakeRequest("GET", "/")).status, 200);
}

TEST_F(ApiTest, HealthzReportsAFailedLoad) {
  auto failed = MakeApi({}, /*ready=*/false);
  failed->SetFailed("no tokenizer.json in /m");
  const HttpResponse health = failed->Handle(MakeRequest("GET", "/healthz"));
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(json::parse(health.body)["error"], "no tokenizer.json in /m");
}

TEST_F(ApiTest, ApiKeyIsRequiredExceptOnHealthzAndMetrics) {
  ApiConfig config;
  config.api_key = "s3cret";
  auto api = MakeApi(config);
  HttpRequest request = MakeRequest("GET", "/embed?q=a");
  const HttpResponse refused = api->Handle(request);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json::parse(refused.body)["error"]["type"], "authentication_error");
  request.headers.emplace("authorization", "Bearer wrong");
  EXPECT_EQ(api->Handle(request).status, 401);
  request.headers.clear();
  request.headers.emplace("authorization", "Bearer s3cret");
  EXPECT_EQ(api->Handle(request).status, 200);
  EXPECT_EQ(api->Handle(MakeRequest("GET", "/healthz")).status, 200);
  EXPECT_EQ(api->Handle(MakeRequest("GET", "/metrics")).status, 200);
  EXPECT_EQ(api->Handle(MakeRequest("POST", "/v1/embeddings", "{\"input\":\"a\"}")).status, 401);
}

TEST_F(ApiTest, CorsOriginIsAddedAndPreflightListsMethods) {
  ApiConfig config;
  config.cors_origin = "https://example.org";
  auto api = MakeApi(config);
  HttpResponse preflight = api->Handle(MakeRequest("OPTIONS", "/embed"));
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(HeaderOf(preflight, "access-control-allow-origin"), "https://example.org");
  EXPECT_EQ(HeaderOf(preflight, "access-control-allow-methods"), "GET,POST,OPTIONS");
  EXPECT_NE(HeaderOf(preflight, "access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(HeaderOf(api->Handle(MakeRequest("GET", "/healthz")), "access-control-allow-origin"),
            "https://example.org");
  EXPECT_EQ(HeaderOf(api_->Handle(MakeRequest("GET", "/healthz")), "access-control-allow-origin"), "");
}

// Found with the OpenAI SDK in a browser: its preflight asks for
// x-stainless-* headers, which a fixed Allow-Headers list refused.
TEST_F(ApiTest, PreflightFromAnAllowedOriginAllowsTheHeadersItAsksFor) {
  ApiConfig config;
  config.cors_origin = "https://a.example, https://b.example";
  auto api = MakeApi(config);
  HttpRequest preflight = MakeRequest("OPTIONS", "/v1/embeddings");
  preflight.headers.emplace("origin", "https://b.example");
  preflight.headers.emplace("access-control-request-headers", "authorization,content-type,x-stainless-os");
  HttpResponse res = api->Handle(preflight);
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(HeaderOf(res, "access-control-allow-origin"), "https://b.example");
  EXPECT_EQ(HeaderOf(res, "access-control-allow-headers"), "authorization,content-type,x-stainless-os");
  preflight.headers.clear();
  preflight.headers.emplace("origin", "https://c.example");
  preflight.headers.emplace("access-control-request-headers", "x-stainless-os");
  res = api->Handle(preflight);
  EXPECT_EQ(HeaderOf(res, "access-control-allow-origin"), "");
  EXPECT_EQ(HeaderOf(res, "access-control-allow-headers"), "");
  // A header list that is not one (CR/LF, quotes) gets the default list.
  preflight.headers.clear();
  preflight.headers.emplace("origin", "https://a.example");
  preflight.headers.emplace("access-control-request-headers", "x\"y");
  EXPECT_EQ(HeaderOf(api->Handle(preflight), "access-control-allow-headers"), "Authorization, Content-Type");
}

TEST_F(ApiTest, JsonRoutesRefuseOtherContentTypesWith415InTheirFamilysShape) {
  for (const auto& [path, family] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/embeddings", "openai"}, {"/api/embed", "ollama"}, {"/invocations", "tei"}, {"/collections", "imi"}}) {
    HttpRequest request = MakeRequest("POST", path, "{\"input\":\"a\"}");
    request.headers.emplace("content-type", "text/plain");
    const HttpResponse res = api_->Handle(request);
    EXPECT_EQ(res.status, 415) << path;
    ExpectErrorShape(family, res.body);
  }
  HttpRequest json_request = MakeRequest("POST", "/v1/embeddings", "{\"input\":\"a\"}");
  json_request.headers.emplace("content-type", "application/json; charset=utf-8");
  EXPECT_EQ(api_->Handle(json_request).status, 200);
}

TEST_F(ApiTest, RootIsHtmlForBrowsersAndJsonOtherwise) {
  HttpRequest browser = MakeRequest("GET", "/");
  browser.headers.emplace("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
  const HttpResponse page = api_->Handle(browser);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  for (const char* s : {"href=\"/docs\"", "href=\"/metrics\"", "imi-test/hash-model", "<td>8</td>"}) {
    EXPECT_NE(page.body.find(s), std::string::npos) << s << "\n" << page.body;
  }
  const HttpResponse json_root = api_->Handle(MakeRequest("GET", "/"));
  EXPECT_EQ(json_root.content_type, "application/json");
  EXPECT_EQ(json::parse(json_root.body)["model"]["revision"], std::string(40, '0'));
}

TEST_F(ApiTest, FullQueueAnswers429WithRetryAfter) {
  ApiConfig config;
  config.batcher.max_queued_inputs = 2;
  auto api = MakeApi(config);
  backend_->infer_delay_ms = 300;
  std::thread first([&] { api->Handle(MakeRequest("GET", "/embed?q=first")); });
  while (backend_->BatchSizes().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const HttpResponse refused =
      api->Handle(MakeRequest("POST", "/embed", json{{"texts", {"a", "b", "c"}}}.dump()));
  first.join();
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(HeaderOf(refused, "retry-after"), "1");
  EXPECT_EQ(json::parse(refused.body)["error"]["type"], "rate_limit_error");
}

// Every route and method is documented, protected ones with the bearer
// scheme and a 401 in their own family's error shape, open ones without.
TEST_F(ApiTest, EveryRouteIsDescribedInTheOpenApiDocument) {
  const json doc = json::parse(OpenApiDocument());
  const std::map<ApiFamily, std::string> shapes = {{ApiFamily::kImi, "ImiError"},
                                                   {ApiFamily::kOpenAi, "OpenAiError"},
                                                   {ApiFamily::kOllama, "OllamaError"},
                                                   {ApiFamily::kTei, "TeiError"}};
  size_t operations = 0;
  for (const RouteSpec& spec : RouteTable()) {
    ASSERT_TRUE(doc["paths"].contains(spec.path)) << spec.path;
    for (const RouteMethod& m : spec.methods) {
      std::string method = m.method;
      for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      SCOPED_TRACE(method + " " + spec.path);
      ASSERT_TRUE(doc["paths"][spec.path].contains(method));
      const json& op = doc["paths"][spec.path][method];
      ++operations;
      EXPECT_TRUE(op["operationId"].is_string());
      ASSERT_TRUE(op["security"].is_array());
      EXPECT_EQ(op["security"].empty(), m.open);
      EXPECT_EQ(op["responses"].contains("401"), !m.open);
      if (!m.open) {
        EXPECT_EQ(op["responses"]["401"]["$ref"], "#/components/responses/" + shapes.at(m.family));
      }
    }
  }
  EXPECT_EQ(doc["paths"].size(), RouteTable().size());
  size_t documented = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [key, value] : item.items()) documented += key != "parameters";
  }
  EXPECT_EQ(documented, operations);
}

TEST_F(ApiTest, MetricsCountRequestsByRouteAndStatusAndReportBatches) {
  (void)api_->Handle(MakeRequest("GET", "/embed?q=a"));
  (void)api_->Handle(MakeRequest("GET", "/embed"));
  const std::string text = api_->Handle(MakeRequest("GET", "/metrics")).body;
  EXPECT_NE(text.find("imi_http_requests_total{route=\"/embed\",status=\"200\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("imi_http_requests_total{route=\"/embed\",status=\"400\"} 1"), std::string::npos);
  EXPECT_NE(text.find("imi_batch_size_count 1"), std::string::npos);
  EXPECT_NE(text.find("imi_queue_depth 0"), std::string::npos);
  EXPECT_NE(text.find("imi_model_ready 1"), std::string::npos);
  EXPECT_NE(text.find("imi_inference_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find("imi_tokenize_seconds_count 1"), std::string::npos);
}

TEST_F(ApiTest, DocsFallsBackToABuiltInPageWithoutSwaggerUi) {
  const HttpResponse docs = api_->Handle(MakeRequest("GET", "/docs"));
  EXPECT_EQ(docs.status, 200);
  EXPECT_NE(docs.body.find("/openapi.json"), std::string::npos);
  EXPECT_EQ(docs.body.find("swagger-ui-bundle.js"), std::string::npos);
  EXPECT_EQ(api_->Handle(MakeRequest("GET", "/docs/../../etc/passwd")).status, 404);
}

TEST_F(ApiTest, DocsUsesSwaggerUiWhenInstalled) {
  const std::string dir = std::string(IMI_SOURCE_DIR) + "/.deps/node/node_modules/swagger-ui-dist";
  if (!std::ifstream(dir + "/swagger-ui-bundle.js")) GTEST_SKIP() << "swagger-ui-dist is not installed in " << dir;
  ApiConfig config;
  config.swagger_ui_dir = dir;
  auto api = MakeApi(config);
  EXPECT_NE(api->Handle(MakeRequest("GET", "/docs")).body.find("SwaggerUIBundle"), std::string::npos);
  const HttpResponse bundle = api->Handle(MakeRequest("GET", "/docs/swagger-ui-bundle.js"));
  EXPECT_EQ(bundle.status, 200);
  EXPECT_GT(bundle.body.size(), 100000u);
}

}  // namespace
}  // namespace imi::server
