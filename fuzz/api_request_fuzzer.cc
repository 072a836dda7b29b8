// libFuzzer target for the HTTP API in-process (server/api.h), without the
// transport: the input is read as
//
//   [!]METHOD PATH[?k=v&k2=v2]\n
//   header-name: value\n ...
//   \n
//   body
//
// and handed to Api::Handle. The API runs over an embedded store in a
// scratch directory with the deterministic test backend (tests/batch), and
// holds two fixture collections ("docs": texts embedded by the served model;
// "vecs": 3-dimensional l2 vectors) that are recreated when an input deletes
// them. A leading '!' sends the request to a second API instead that has no
// model, no store and an API key. Checks: a status in 100..599, a JSON body
// for every application/json response, an error in its family's shape with a
// message for every error, and no 500 (the catch-all hides exceptions behind it)
// except the test backend's deliberate inference failure.
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/store_access.h"
#include "store/vector_store.h"
#include "test_backend.h"

namespace {

namespace fs = std::filesystem;
using imi::server::Api;
using imi::server::ApiConfig;
using imi::server::HttpRequest;
using imi::server::HttpResponse;
using Json = nlohmann::json;

void Check(bool condition, const char* what, std::string_view detail = "") {
  if (condition) return;
  std::fprintf(stderr, "api_request_fuzzer: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

HttpRequest Request(const std::string& method, const std::string& path, std::string body) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.body = std::move(body);
  request.remote_addr = "127.0.0.1";
  return request;
}

// Requests that (re)create one fixture collection with a few documents.
struct FixtureCollection {
  const char* name;
  std::vector<HttpRequest> setup;
};

std::vector<FixtureCollection> FixtureCollections() {
  return {
      {"docs",
       {Request("POST", "/collections", R"({"name":"docs"})"),
        Request("POST", "/collections/docs/documents", R"({"documents":[
           {"id":"a","text":"桜ヶ丘市のごみの出し方","metadata":{"city":"Sakura","year":2020,"tags":"gomi"}},
           {"id":"b/c","text":"図書館の開館時間は午前九時から午後七時までです。","metadata":{"city":"桜市","year":2021,"open":true}},
           {"id":"d","text":"粗大ごみは事前に申し込んでください。ペットボトルはキャップとラベルを外して出します。",
            "metadata":{"address":{"ward":"Kita"},"score":4.5}},
           {"text":"x","metadata":{}}]})")}},
      {"vecs",
       {Request("POST", "/collections", R"({"name":"vecs","model":"ext","dimension":3,"metric":"l2"})"),
        Request("POST", "/collections/vecs/documents", R"({"documents":[
           {"id":"1","vector":[1,0,0],"metadata":{"n":1}},
           {"id":"2","vector":[0,1,0.5],"metadata":{"n":2.5,"s":"x"}},
           {"id":"3","vector":[-1,2,3],"text":"three","metadata":{"s":"y","deep":{"er":[1,2]}}},
           {"id":"4","vector":[0,0,0]}]})")}},
  };
}

class Fixture {
 public:
  Fixture() {
    std::string pattern = (fs::temp_directory_path() / "imi-fuzz-api.XXXXXX").string();
    Check(::mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory");
    dir_ = pattern;

    imi::store::EmbeddedOptions options;
    options.directory = (dir_ / "store").string();
    options.exact_threshold = 3;  // small collections still go through HNSW
    auto opened = imi::store::OpenEmbeddedStore(options);
    Check(opened.ok(), "cannot open the embedded store", opened.ok() ? "" : opened.status().ToString());
    store_ = opened->get();

    ApiConfig config;
    config.version = "fuzz";
    config.max_client_batch = 16;
    config.cors_origin = "*";
    api_ = std::make_unique<Api>(config);
    api_->SetBackend(std::make_unique<imi::testing::TestBackend>());
    api_->SetStore(std::make_unique<imi::server::StoreAccess>(std::move(opened).value()));

    ApiConfig bare_config;
    bare_config.version = "fuzz";
    bare_config.api_key = "k";
    bare_api_ = std::make_unique<Api>(bare_config);

    collections_ = FixtureCollections();
    for (const FixtureCollection& c : collections_) Restore(c);
  }

  ~Fixture() {
    api_.reset();
    bare_api_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Recreates fixture collections an earlier input deleted.
  void RestoreMissing() {
    for (const FixtureCollection& c : collections_) {
      if (!store_->GetCollection(c.name).ok()) Restore(c);
    }
  }

  Api& api() { return *api_; }
  Api& bare_api() { return *bare_api_; }

 private:
  void Restore(const FixtureCollection& c) {
    for (const HttpRequest& request : c.setup) {
      const HttpResponse res = api_->Handle(request);
      Check(res.status < 300, "a fixture request failed", res.body);
    }
  }

  fs::path dir_;
  imi::store::VectorStore* store_ = nullptr;  // owned by api_'s StoreAccess
  std::unique_ptr<Api> api_;
  std::unique_ptr<Api> bare_api_;
  std::vector<FixtureCollection> collections_;
};

Fixture& GetFixture() {
  static Fixture fixture;
  return fixture;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpRequest ParseInput(std::string_view input) {
  HttpRequest request;
  request.remote_addr = "127.0.0.1";
  size_t eol = input.find('\n');
  const std::string_view line = input.substr(0, eol);
  const size_t space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  const std::string_view target = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (true) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      request.query.emplace(std::string(pair.substr(0, eq)),
                            eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  while (eol != std::string_view::npos) {
    const size_t start = eol + 1;
    eol = input.find('\n', start);
    const std::string_view header = input.substr(start, eol == std::string_view::npos ? std::string_view::npos
                                                                                       : eol - start);
    if (header.empty()) {
      if (eol != std::string_view::npos) request.body = std::string(input.substr(eol + 1));
      break;
    }
    const size_t colon = header.find(':');
    std::string value(colon == std::string_view::npos ? std::string_view() : header.substr(colon + 1));
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    request.headers.emplace(Lower(std::string(header.substr(0, colon))), std::move(value));
  }
  return request;
}

void CheckResponse(const HttpRequest& request, const HttpResponse& res) {
  const std::string where = request.method + " " + request.path + " -> " + std::to_string(res.status) + " " + res.body;
  Check(res.status >= 100 && res.status <= 599, "a status outside 100..599", where);
  const bool json_body = res.content_type == "application/json";
  Json body;
  if (json_body) {
    body = Json::parse(res.body, nullptr, false);
    Check(!body.is_discarded(), "an application/json response whose body is not JSON", where);
  }
  if (res.status < 400) return;
  Check(json_body, "an error response that is not application/json", where);
  Check(body.is_object() && body.contains("error"), "an error without \"error\"", where);
  const Json& error = body["error"];
  // Each route family's shape (docs/api.md, "Errors"): Ollama's and TEI's
  // put the message in "error" (TEI adds "error_type"), imi's and OpenAI's
  // an object with message, type and code.
  std::string message;
  if (error.is_string()) {
    message = error.get<std::string>();
    Check(!body.contains("error_type") || body["error_type"].is_string(), "a TEI error_type that is not a string",
          where);
  } else {
    Check(error.is_object(), "an error that is neither a string nor an object", where);
    for (const char* field : {"message", "type", "code"}) {
      Check(error.contains(field) && error[field].is_string() && !error[field].get<std::string>().empty(),
            "an error object without a message, type or code", where);
    }
    message = error["message"].get<std::string>();
  }
  Check(!message.empty(), "an error without a message", where);
  if (res.status == 500) {
    Check(message.find("on purpose") != std::string::npos,
          "500 on a fuzzed request (the catch-all or an Internal status)", where);
  }
}

}  // namespace

// Opening the store and embedding the fixtures takes a moment under ASan; do
// it before the per-input timeout starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GetFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fixture = GetFixture();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool bare = !input.empty() && input[0] == '!';
  if (bare) input.remove_prefix(1);
  const HttpRequest request = ParseInput(input);
  if (!bare) fixture.RestoreMissing();
  const HttpResponse res = (bare ? fixture.bare_api() : fixture.api()).Handle(request);
  CheckResponse(request, res);
  return 0;
}
