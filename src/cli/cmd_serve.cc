// imi serve: the embedding HTTP API (original, TEI, OpenAI and Ollama
// routes) with dynamic batching. Flags override the original service's
// environment (MODEL_PATH, TOKENIZER_PATH, MAX_LENGTH, PORT, HOST).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "batch/embedder_backend.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/version_info.h"
#include "model/cross_encoder.h"
#include "model/embedder.h"
#include "model/onnx_runtime_info.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/store_access.h"
#include "store/vector_store.h"

namespace imi::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ServeFlags {
  std::string model;
  std::string tokenizer;
  std::string variant = "auto";
  int threads = 0;
  size_t max_length = 0;
  std::string host = "0.0.0.0";
  int port = 8080;
  size_t max_batch_tokens = 16384;
  size_t max_run_tokens = 1024;
  size_t max_client_batch = 256;
  std::string payload_limit = "2MB";
  size_t max_queue = 4096;
  size_t max_connections = 10000;
  size_t max_connections_per_address = 256;
  size_t workers = 64;
  size_t store_workers = 16;
  std::string memory_budget = "256MB";
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int idle_timeout_ms = 5000;
  int shutdown_timeout_ms = 10000;
  std::string api_key;
  std::string cors_origin;
  std::vector<std::string> public_search;  // empty: all without --api-key, none with one
  std::string swagger_ui;
  std::string log_format = "text";
  bool no_access_log = false;
  std::string ort_cache = "auto";
  std::string store_dir;  // embedded vector store for /collections
  std::string pg_dsn;     // or PostgreSQL + pgvector
  std::string reranker;   // cross-encoder for /rerank, /v1/rerank and search "rerank"
  std::string reranker_variant = "auto";
  size_t reranker_max_length = 0;
  std::string reranker_activation;
  int pg_pool = 8;
  int pg_connect_timeout_ms = 0;
  int pg_timeout_ms = 30000;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// "2MB", "512k", "1048576" -> bytes; `flag` names the option in errors.
Result<size_t> ParseSize(const std::string& text, const std::string& flag) {
  size_t value = 0;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + static_cast<size_t>(text[i] - '0');
    ++i;
  }
  std::string unit = text.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t scale = 1;
  if (unit == "k" || unit == "kb" || unit == "kib") scale = 1024;
  if (unit == "m" || unit == "mb" || unit == "mib") scale = 1024 * 1024;
  if (unit == "g" || unit == "gb" || unit == "gib") scale = size_t{1} << 30;
  if (i == 0 || i > 12 || (scale == 1 && !unit.empty() && unit != "b")) {
    return Status::InvalidArgument(flag + " must be a size such as 2MB, 512KB or 1048576, got '" + text + "'");
  }
  return value * scale;
}

// swagger-ui-dist as installed by scripts/setup.sh, found from the binary.
std::string FindSwaggerUi(const std::string& flag) {
  if (!flag.empty()) return flag;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const char* relative : {"../.deps/node/node_modules/swagger-ui-dist", ".deps/node/node_modules/swagger-ui-dist",
                               "../share/imi/swagger-ui-dist"}) {
    const std::filesystem::path candidate = exe.parent_path() / relative;
    if (std::filesystem::exists(candidate / "swagger-ui-bundle.js", ec)) return candidate.lexically_normal().string();
  }
  return "";
}

// Gives /collections its store. An explicitly chosen store is opened now,
// so a bad directory or DSN stops start-up (a database that is down only
// delays it: 503 until reachable); the default (IMI_PG_DSN or ./imi-data)
// is opened on first use, so serving embeddings alone creates nothing.
// Returns the store access (owned by `api`).
Result<server::StoreAccess*> AttachStore(const ServeFlags& flags, server::Api* api) {
  store::StoreLocation location{flags.store_dir, flags.pg_dsn};
  location.pg_pool_size = flags.pg_pool;
  location.pg_connect_timeout_ms = flags.pg_connect_timeout_ms;
  location.pg_statement_timeout_ms = flags.pg_timeout_ms;
  auto opener = [location] { return store::OpenVectorStore(location); };
  std::unique_ptr<server::StoreAccess> access;
  if (location.directory.empty() && location.pg_dsn.empty()) {
    access = std::make_unique<server::StoreAccess>(opener);
  } else {
    Result<std::unique_ptr<store::VectorStore>> opened = opener();
    if (opened.ok()) {
      access = std::make_unique<server::StoreAccess>(std::move(opened).value());
    } else {
      if (opened.status().code() != StatusCode::kUnavailable) return opened.status();
      std::fprintf(stderr, "imi serve: warning: %s; /collections answers 503 until the database is reachable\n",
                   opened.status().message().c_str());
      access = std::make_unique<server::StoreAccess>(opener);
    }
  }
  server::StoreAccess* raw = access.get();
  api->SetStore(std::move(access));
  return raw;
}

// Loads and warms the model; the server answers 503 until this is done.
Status LoadModel(const ServeFlags& flags, server::Api* api, Clock::time_point started, const std::string& address) {
  model::EmbedderConfig config;
  config.model_path = flags.model;
  config.tokenizer_path = flags.tokenizer;
  IMI_ASSIGN_OR_RETURN(config.variant, model::ParseVariantRequest(flags.variant));
  config.threads = flags.threads;
  config.max_batch_tokens = flags.max_batch_tokens;
  if (flags.max_length > 0) config.max_seq_length = flags.max_length;
  config.ort_cache = flags.ort_cache;
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<model::Embedder> embedder, model::Embedder::Load(config));
  // Warm-up: the first runs allocate ONNX Runtime's arenas and kernels, so
  // the first request is not the slow one (a few ms for a short, a longer
  // and a paragraph-long text: the arena then holds what typical requests
  // need, already paged in).
  const Clock::time_point warmup_start = Clock::now();
  for (const char* text :
       {"warm up", "ウォームアップのための少し長めの日本語の文です。",
        "ウォームアップのための少し長めの日本語の文です。市役所の窓口は平日の午前八時半から午後五時まで開いています。"
        "ごみの収集日は地区ごとに異なりますので、お住まいの地区のカレンダーをご確認ください。"}) {
    IMI_ASSIGN_OR_RETURN(model::EncodedInput input, embedder->Encode(text, {}));
    IMI_ASSIGN_OR_RETURN(auto vectors, embedder->Infer({&input}, {}));
    (void)vectors;
  }
  const double warmup_ms = std::chrono::duration<double, std::milli>(Clock::now() - warmup_start).count();
  const model::ModelInfo info = embedder->info();
  IMI_ASSIGN_OR_RETURN(std::unique_ptr<batch::EmbedderBackend> backend,
                       batch::EmbedderBackend::Create(std::move(embedder), flags.max_run_tokens));
  std::string reranker_line;
  if (!flags.reranker.empty()) {
    model::CrossEncoderConfig rc;
    rc.model_path = flags.reranker;
    IMI_ASSIGN_OR_RETURN(rc.variant, model::ParseVariantRequest(flags.reranker_variant));
    rc.threads = flags.threads;
    if (flags.reranker_max_length > 0) rc.max_length = flags.reranker_max_length;
    if (!flags.reranker_activation.empty()) {
      IMI_ASSIGN_OR_RETURN(rc.activation, model::ParseScoreActivation(flags.reranker_activation));
    }
    auto reranker = model::CrossEncoder::Load(rc);
    if (!reranker.ok()) return reranker.status().WithContext("reranker " + flags.reranker);
    IMI_ASSIGN_OR_RETURN(model::EncodedInput pair, (*reranker)->EncodePair("ウォームアップ", "warm up"));
    IMI_RETURN_IF_ERROR((*reranker)->Infer({&pair}).status());
    const model::CrossEncoderInfo& r = (*reranker)->info();
    reranker_line = " reranker=" + r.id + " (" + r.variant_file + ", max_length=" + std::to_string(r.max_length) +
                    ", " + std::string(model::ScoreActivationName(r.activation)) + ")";
    backend->AttachReranker(std::move(reranker).value());
  }
  api->SetBackend(std::move(backend));
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  std::fprintf(stderr,
               "imi serve: ready on %s model=%s variant=%s (%s) threads=%d dimension=%zu max_length=%zu%s%s%s "
               "startup_ms=%.0f (tokenizer %.0f%s, model hash %.0f, session %.0f%s, warm-up %.0f)\n",
               address.c_str(), info.id.c_str(), info.variant_file.c_str(), info.variant_reason.c_str(),
               info.threads, info.dimension, info.max_seq_length, info.heads.empty() ? "" : " outputs=",
               info.heads.empty() ? "" : model::OutputSetName(info.outputs).c_str(), reranker_line.c_str(), ms,
               info.tokenizer_ms,
               info.tokenizer_cache_hit ? " from cache" : (info.tokenizer_cache_file.empty() ? "" : ", cached"),
               info.hash_ms, info.session_ms,
               info.cache_hit ? " from cached graph" : (info.cache_file.empty() ? "" : ", graph cached"), warmup_ms);
  if (!info.cache_note.empty()) std::fprintf(stderr, "imi serve: note: %s\n", info.cache_note.c_str());
  if (!info.tokenizer_cache_note.empty()) {
    std::fprintf(stderr, "imi serve: note: %s\n", info.tokenizer_cache_note.c_str());
  }
  return Status::Ok();
}

const char* SignalName(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
  }
  return "signal";
}

int RunServe(const ServeFlags& given) {
  const Clock::time_point started = Clock::now();
  // glibc's defaults let RSS drift under bursts of large bodies: each thread
  // that allocates gets an arena of its own (up to 8 per core) and keeps
  // what was freed there, and after a large block is freed the size above
  // which blocks are mapped (and unmapped on free) rises to 32 MB, so the
  // JSON of the next large bodies stays in the heap. Two arenas and a fixed
  // 1 MB threshold: the hostile suite's 64 concurrent 1.9 MB junk bodies
  // peak at 350-428 MB (16 runs) instead of 408-602 MB; throughput at 10
  // connections x 32 texts was within run-to-run noise (bench/README,
  // "glibc arenas and the mmap threshold"). MALLOC_ARENA_MAX /
  // MALLOC_MMAP_THRESHOLD_ in the environment win.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ServeFlags flags = given;
  if (flags.model.empty()) {
    return ReportError("serve", Status::InvalidArgument(
                                    "no model: pass --model DIR (or set MODEL_PATH) to a sentence-transformers "
                                    "directory or an .onnx file"));
  }
  auto payload_limit = ParseSize(flags.payload_limit, "--payload-limit");
  if (!payload_limit.ok()) return ReportError("serve", payload_limit.status());
  auto memory_budget = ParseSize(flags.memory_budget, "--memory-budget");
  if (!memory_budget.ok()) return ReportError("serve", memory_budget.status());
  if (*memory_budget != 0 && *memory_budget < *payload_limit) {
    return ReportError("serve", Status::InvalidArgument("--memory-budget (" + flags.memory_budget +
                                                        ") must be at least --payload-limit (" +
                                                        flags.payload_limit + "), or 0 for no budget"));
  }

  // Signals are taken by sigtimedwait below; block them before any thread
  // starts. SIGHUP stops gracefully like SIGTERM (docs/limits.md).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::ApiConfig config;
  config.version = IMI_VERSION;
  config.build_commit = BuildCommit();
  config.onnxruntime_version = model::OnnxRuntimeVersion();
  config.max_client_batch = flags.max_client_batch;
  config.payload_limit_bytes = *payload_limit;
  config.memory_budget_bytes = *memory_budget;
  config.batcher.max_batch_tokens = flags.max_batch_tokens;
  config.batcher.max_queued_inputs = flags.max_queue;
  config.api_key = flags.api_key;
  config.cors_origin = flags.cors_origin;
  config.public_search = flags.public_search;
  if (config.public_search.empty() && config.api_key.empty()) config.public_search = {"*"};
  config.swagger_ui_dir = FindSwaggerUi(flags.swagger_ui);
  config.access_log = flags.no_access_log          ? server::AccessLog::kOff
                      : flags.log_format == "json" ? server::AccessLog::kJson
                                                   : server::AccessLog::kText;
  server::Api api(config);
  Result<server::StoreAccess*> store_access = AttachStore(flags, &api);
  if (!store_access.ok()) return ReportError("serve", store_access.status());

  server::HttpServerOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.max_connections = flags.max_connections;
  options.max_connections_per_address = flags.max_connections_per_address;
  options.workers = flags.workers;
  options.store_workers = flags.store_workers;
  options.header_timeout_ms = flags.header_timeout_ms;
  options.body_timeout_ms = flags.body_timeout_ms;
  options.idle_timeout_ms = flags.idle_timeout_ms;
  options.payload_limit_bytes = *payload_limit;
  auto server = server::HttpServer::Start(options, &api);
  if (!server.ok()) return ReportError("serve", server.status());
  const std::string address = "http://" + flags.host + ":" + std::to_string((*server)->port());

  std::atomic<bool> load_done{false};
  Status load_status;
  std::thread loader([&] {
    load_status = LoadModel(flags, &api, started, address);
    if (!load_status.ok()) api.SetFailed(load_status.message());
    load_done = true;
  });

  // Wait for SIGINT/SIGTERM/SIGHUP, or for a failed load.
  int signal_number = 0;
  for (;;) {
    timespec tick{0, 100 * 1000 * 1000};
    const int s = sigtimedwait(&signals, nullptr, &tick);
    if (s == SIGINT || s == SIGTERM || s == SIGHUP) {
      signal_number = s;
      break;
    }
    if (load_done && !load_status.ok()) break;
  }
  if (signal_number != 0) {
    std::fprintf(stderr,
                 "imi serve: %s received; finishing requests in progress (up to %d ms; a second signal exits at "
                 "once)\n",
                 SignalName(signal_number), flags.shutdown_timeout_ms);
  }
  // The transport stops on a thread of its own so that this one can still
  // take a second signal, which exits at once.
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(flags.shutdown_timeout_ms);
  std::atomic<bool> stopped{false};
  server::ShutdownReport report;
  std::thread stopper([&] {
    report = (*server)->Shutdown(std::chrono::milliseconds(flags.shutdown_timeout_ms));
    stopped = true;
  });
  bool store_interrupted = false;
  while (!stopped || !load_done) {
    // At the deadline, store calls still waiting on the database give up, so
    // a stalled PostgreSQL cannot hold the shutdown past it.
    if (!stopped && !store_interrupted && Clock::now() >= deadline) {
      (*store_access)->Interrupt();
      store_interrupted = true;
    }
    timespec tick{0, 20 * 1000 * 1000};
    const int s = sigtimedwait(&signals, nullptr, &tick);
    if (s == SIGINT || s == SIGTERM || s == SIGHUP) {
      std::fprintf(stderr, "imi serve: second signal (%s); exiting now\n", SignalName(s));
      std::fflush(stderr);
      _exit(128 + s);
    }
    if (stopped && !load_done && Clock::now() >= deadline) {
      // Loading cannot be interrupted; nothing was served yet.
      std::fprintf(stderr, "imi serve: stopped before the model finished loading\n");
      std::fflush(stderr);
      _exit(0);
    }
  }
  stopper.join();
  loader.join();
  if (report.cut_requests > 0) {
    std::fprintf(stderr, "imi serve: the shutdown deadline (%d ms) cut %zu requests in progress\n",
                 flags.shutdown_timeout_ms, report.cut_requests);
  }
  if (report.busy_workers > 0) {
    // Handlers still running past the deadline (e.g. blocked in a stalled
    // store) cannot be interrupted: leave without waiting for them.
    std::fprintf(stderr,
                 "imi serve: %zu handlers still running after the deadline; exiting without waiting for them "
                 "(uncommitted store writes roll back; the index is brought up to date on the next start)\n",
                 report.busy_workers);
    std::fflush(stderr);
    _exit(1);
  }
  api.Stop();
  if (!load_status.ok()) return ReportError("serve", load_status);
  std::fprintf(stderr, "imi serve: stopped\n");
  return report.cut_requests > 0 ? 1 : 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve embeddings over HTTP: the original API (/healthz, /embed), TEI (/embed, /tokenize, /info), "
      "OpenAI (/v1/embeddings) and Ollama (/api/embed, /api/embeddings), bge-m3's sparse and ColBERT outputs "
      "(/embed_sparse, /embed_all), reranking with --reranker (/rerank, /v1/rerank), with /metrics and /docs; collections, "
      "documents and semantic search under /collections (--store DIR or --pg DSN).\n"
      "Environment (flags win): MODEL_PATH, TOKENIZER_PATH, MAX_LENGTH, PORT, HOST.\n"
      "Memory (peak RSS, measured: docs/deploy.md): 12-layer 384-wide models with a 250k vocabulary "
      "(paraphrase-multilingual-MiniLM-L12-v2, multilingual-e5-small) INT8 145 MB at ready from the caches (330 "
      "without), 330 MB with 10 concurrent 32-text requests; FP32 280 MB at ready from the caches, 950 MB under that "
      "load; a start that writes the caches (--ort-cache write) INT8 610 MB, FP32 2 GB. bge-m3 (24 layers, 1024 wide, estimated) INT8 ~1.2 GB, "
      "FP32 ~2.5 GB.");
  cmd->add_option("--model", flags->model, "Model directory (sentence-transformers layout) or .onnx file [MODEL_PATH]");
  cmd->add_option("--tokenizer", flags->tokenizer, "tokenizer.json or its directory, for a bare .onnx [TOKENIZER_PATH]");
  cmd->add_option("--variant", flags->variant, "auto, fp32, int8 or an ONNX file name")->capture_default_str();
  cmd->add_option("--threads", flags->threads, "ONNX Runtime intra-op threads (0: one per core)")->capture_default_str();
  cmd->add_option("--max-length", flags->max_length,
                  "Tokens per input before truncation (default: the model's max_seq_length; 256 for a bare "
                  ".onnx as in the original service) [MAX_LENGTH]");
  cmd->add_option("--host", flags->host, "Address to listen on [HOST]")->capture_default_str();
  cmd->add_option("--port", flags->port, "Port to listen on [PORT]")->capture_default_str();
  cmd->add_option("--max-batch-tokens", flags->max_batch_tokens, "Padded tokens per inference batch")
      ->capture_default_str();
  cmd->add_option("--max-run-tokens", flags->max_run_tokens,
                  "Padded tokens per ONNX Runtime call: a batch runs in pieces of this size (smaller is faster on CPU)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  cmd->add_option("--max-client-batch", flags->max_client_batch, "Inputs per request (more: 413)")
      ->capture_default_str();
  cmd->add_option("--payload-limit", flags->payload_limit, "Largest request body (more: 413)")->capture_default_str();
  cmd->add_option("--max-queue", flags->max_queue, "Inputs waiting for inference (more: 429)")->capture_default_str();
  cmd->add_option("--max-connections", flags->max_connections,
                  "Open connections (more: 503); lowered to what the open-file limit allows")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-address", flags->max_connections_per_address,
                  "Open connections from one client address (more: 503); 0: no limit")
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "Threads running requests (embedding, information routes)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd->add_option("--store-workers", flags->store_workers,
                  "Threads running /collections requests (a stalled store blocks only these)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4096}));
  cmd->add_option("--memory-budget", flags->memory_budget,
                  "Memory all requests in flight may hold (bodies, their JSON, responses); over it: 503 with "
                  "Retry-After; 0: no budget")
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", flags->header_timeout_ms, "Time for request line and headers (408)")
      ->capture_default_str();
  cmd->add_option("--body-timeout-ms", flags->body_timeout_ms, "Time for the whole body (408)")->capture_default_str();
  cmd->add_option("--idle-timeout-ms", flags->idle_timeout_ms, "Keep-alive wait for the next request")
      ->capture_default_str();
  cmd->add_option("--shutdown-timeout-ms", flags->shutdown_timeout_ms,
                  "On SIGTERM/SIGINT/SIGHUP, how long requests in progress may take before they are cut (exit "
                  "status 1 then); a second signal exits at once")
      ->capture_default_str();
  cmd->add_option("--api-key", flags->api_key, "Require 'Authorization: Bearer KEY' (not on /healthz, /metrics) [IMI_API_KEY]");
  cmd->add_option("--cors-origin", flags->cors_origin, "Allowed CORS origin, e.g. * or https://example.org");
  cmd->add_option("--public-search", flags->public_search,
                  "Collections the search page (/search) and widget serve without the API key; '*' for all "
                  "(default: all without --api-key, none with it)")
      ->delimiter(',');
  cmd->add_option("--swagger-ui", flags->swagger_ui, "swagger-ui-dist directory for /docs (default: found in .deps)");
  cmd->add_option("--log-format", flags->log_format, "Access log format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_flag("--no-access-log", flags->no_access_log, "Do not log each request");
  cmd->add_option("--store", flags->store_dir,
                  "Embedded vector store directory for /collections (default: IMI_PG_DSN if set, else ./imi-data, "
                  "created on first use)");
  cmd->add_option("--ort-cache", flags->ort_cache,
                  "Cache of the optimised graph and the (binary) tokenizer for fast starts: auto (use one from beside "
                  "the model, IMI_CACHE_DIR or ~/.cache/imi/ort if there is one; never write), write (use one or "
                  "create it there: costs one slower, hungrier start), off, or a directory (use or create it there) "
                  "[IMI_ORT_CACHE]")
      ->capture_default_str();
  cmd->add_option("--pg", flags->pg_dsn, "PostgreSQL + pgvector DSN for /collections instead of --store [IMI_PG_DSN]");
  cmd->add_option("--reranker", flags->reranker,
                  "Cross-encoder model directory (sequence classification ONNX, e.g. bge-reranker-v2-m3) served by "
                  "/rerank, /v1/rerank and search \"rerank\"");
  cmd->add_option("--reranker-variant", flags->reranker_variant, "The reranker's ONNX variant: auto, fp32, int8, FILE")
      ->capture_default_str();
  cmd->add_option("--reranker-max-length", flags->reranker_max_length,
                  "Tokens per (query, text) pair (default: the reranker's model_max_length)");
  cmd->add_option("--reranker-activation", flags->reranker_activation,
                  "sigmoid or identity for /v1/rerank and search scores (default: the model's configuration)")
      ->check(CLI::IsMember({"sigmoid", "identity"}));
  cmd->add_option("--pg-pool", flags->pg_pool, "PostgreSQL connections at most")->capture_default_str();
  cmd->add_option("--pg-connect-timeout-ms", flags->pg_connect_timeout_ms,
                  "Time to establish a PostgreSQL connection (default: the DSN's connect_timeout, else 5000)");
  cmd->add_option("--pg-timeout-ms", flags->pg_timeout_ms,
                  "Time a PostgreSQL statement (or the wait for a free connection) may take; then 503")
      ->capture_default_str();
  cmd->callback([flags, exit_code, cmd] {
    ServeFlags resolved = *flags;
    // The original service's environment applies where no flag was given.
    auto from_env = [cmd](const char* option, const char* env) {
      return cmd->count(option) == 0 && !Env(env).empty();
    };
    if (from_env("--model", "MODEL_PATH")) resolved.model = Env("MODEL_PATH");
    if (from_env("--tokenizer", "TOKENIZER_PATH")) resolved.tokenizer = Env("TOKENIZER_PATH");
    if (from_env("--host", "HOST")) resolved.host = Env("HOST");
    if (from_env("--api-key", "IMI_API_KEY")) resolved.api_key = Env("IMI_API_KEY");
    if (from_env("--ort-cache", "IMI_ORT_CACHE")) resolved.ort_cache = Env("IMI_ORT_CACHE");
    try {
      if (from_env("--port", "PORT")) resolved.port = std::stoi(Env("PORT"));
      if (from_env("--max-length", "MAX_LENGTH")) resolved.max_length = std::stoul(Env("MAX_LENGTH"));
    } catch (const std::exception&) {
      *exit_code = ReportError("serve", Status::InvalidArgument("PORT and MAX_LENGTH must be integers"));
      return;
    }
    if (resolved.port < 0 || resolved.port > 65535) {
      *exit_code = ReportError("serve", Status::InvalidArgument("--port must be between 0 and 65535"));
      return;
    }
    // The original service's default for its bare .onnx layout.
    if (resolved.max_length == 0 && resolved.model.size() > 5 &&
        resolved.model.compare(resolved.model.size() - 5, 5, ".onnx") == 0) {
      resolved.max_length = 256;
    }
    *exit_code = RunServe(resolved);
  });
}

}  // namespace imi::cli
