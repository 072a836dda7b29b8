#include "hub/hub_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "hub/digest.h"
#include "hub/url.h"

namespace imi::hub {
namespace {

constexpr int kMaxRedirects = 10;
constexpr size_t kReadChunkBytes = 1 << 20;

bool IsHex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

uint64_t ParseSize(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return 0;
  return v;
}

// Size of a regular file, or -1 when it does not exist.
int64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return st.st_size;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Hashes the first `bytes` bytes of `path` into `hasher`.
Status HashPrefix(const std::string& path, uint64_t bytes, Sha256* hasher) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  std::string buffer(kReadChunkBytes, '\0');
  while (bytes > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(bytes, buffer.size()));
    const size_t got = std::fread(buffer.data(), 1, want, f.get());
    if (got == 0) return Status::IoError("cannot read " + path);
    hasher->Update(std::string_view(buffer.data(), got));
    bytes -= got;
  }
  return Status::Ok();
}

// Git's blob id: sha1("blob <size>\0" + content).
Result<std::string> GitBlobSha1OfFile(const std::string& path) {
  const int64_t size = FileSize(path);
  if (size < 0) return Status::NotFound("no such file: " + path);
  std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  Sha1 hasher;
  const std::string header = "blob " + std::to_string(size);
  hasher.Update(std::string_view(header.data(), header.size() + 1));  // with the NUL
  std::string buffer(kReadChunkBytes, '\0');
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), f.get())) > 0) {
    hasher.Update(std::string_view(buffer.data(), got));
  }
  if (std::ferror(f.get())) return Status::IoError("cannot read " + path);
  return hasher.HexDigest();
}

Status Truncate(std::FILE* f, const std::string& path) {
  std::fflush(f);
  if (::ftruncate(fileno(f), 0) != 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    return Status::IoError("cannot truncate " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

std::string NormalizeEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

Result<std::string> Sha256OfFile(const std::string& path) {
  const int64_t size = FileSize(path);
  if (size < 0) return Status::NotFound("no such file: " + path);
  Sha256 hasher;
  IMI_RETURN_IF_ERROR(HashPrefix(path, static_cast<uint64_t>(size), &hasher));
  return hasher.HexDigest();
}

bool LocalFileMatches(const std::string& path, const RemoteFile& remote) {
  const int64_t size = FileSize(path);
  if (size < 0) return false;
  if (remote.size > 0 && static_cast<uint64_t>(size) != remote.size) return false;
  const std::string etag = Lower(remote.etag);
  if (IsHex(etag, 64)) {
    auto sha = Sha256OfFile(path);
    return sha.ok() && *sha == etag;
  }
  if (IsHex(etag, 40)) {
    auto sha = GitBlobSha1OfFile(path);
    return sha.ok() && *sha == etag;
  }
  return remote.size > 0;
}

HubClient::HubClient(HttpClient* http, HubClientOptions options)
    : http_(http), options_(std::move(options)) {}

Result<HubClient::Exchange> HubClient::Follow(
    const std::string& method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& extra_headers, const BodySink* sink,
    bool follow_cross_host) {
  const std::string origin = OriginOf(url);
  std::string current = url;
  Exchange exchange;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    HttpRequest request;
    request.method = method;
    request.url = current;
    request.headers = extra_headers;
    const bool same_origin = OriginOf(current) == origin;
    // Credentials go to the hub only, never to the CDN it redirects to.
    if (same_origin && !options_.token.empty()) {
      request.headers.emplace_back("Authorization", "Bearer " + options_.token);
    }
    IMI_ASSIGN_OR_RETURN(HttpResponse response, http_->Perform(request, sink));
    if (same_origin) exchange.hub = response;
    if (IsRedirect(response.status) && !response.redirect_url.empty()) {
      if (!follow_cross_host && OriginOf(response.redirect_url) != origin) {
        exchange.final = std::move(response);
        return exchange;
      }
      current = response.redirect_url;
      continue;
    }
    exchange.final = std::move(response);
    return exchange;
  }
  return Status::Unavailable(method + " " + url + ": more than " + std::to_string(kMaxRedirects) +
                             " redirects");
}

void HubClient::Backoff(int attempt, const std::string& what, const std::string& reason) {
  const int delay_ms = options_.initial_backoff_ms << (attempt - 1);
  if (options_.log != nullptr) {
    std::fprintf(options_.log, "imi pull: %s: %s; retrying in %.1f s (attempt %d of %d)\n",
                 what.c_str(), reason.c_str(), delay_ms / 1000.0, attempt + 1, options_.max_attempts);
    std::fflush(options_.log);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}

Status HubClient::HttpError(const std::string& method, const std::string& url,
                            const HttpResponse& r) const {
  std::string message = method + " " + url + ": HTTP " + std::to_string(r.status);
  const std::string hub_message = r.Header("x-error-message");
  if (!hub_message.empty()) message += " (" + hub_message + ")";
  if (r.status == 401 || r.status == 403) {
    message += options_.token.empty()
                   ? ": the repository is private, gated or does not exist; set HF_TOKEN to a token with access"
                   : ": HF_TOKEN was not accepted for this repository (check the token's access, or the repository name)";
    return Status::FailedPrecondition(message);
  }
  if (r.status == 404) return Status::NotFound(message + ": not found");
  if (r.status >= 500) return Status::Unavailable(message + ": the server failed");
  return Status::Unavailable(message + ": unexpected answer");
}

Result<HubClient::Exchange> HubClient::FollowWithRetry(const std::string& method,
                                                       const std::string& url,
                                                       bool follow_cross_host) {
  for (int attempt = 1;; ++attempt) {
    auto exchange = Follow(method, url, {}, nullptr, follow_cross_host);
    server_answered_ = exchange.ok();
    const bool last = attempt >= options_.max_attempts;
    if (!exchange.ok()) {
      if (exchange.status().code() != StatusCode::kUnavailable || last) return exchange.status();
      Backoff(attempt, method + " " + url, exchange.status().message());
      continue;
    }
    if (exchange->final.status >= 500 && !last) {
      Backoff(attempt, method + " " + url, "HTTP " + std::to_string(exchange->final.status));
      continue;
    }
    return exchange;
  }
}

Result<RepoInfo> HubClient::GetRepoInfo(const std::string& repo, const std::string& revision) {
  const std::string url = ModelInfoUrl(options_.endpoint, repo, revision);
  IMI_ASSIGN_OR_RETURN(Exchange exchange, FollowWithRetry("GET", url, true));
  const HttpResponse& r = exchange.final;
  if (r.status != 200) return HttpError("GET", url, r);
  nlohmann::json json = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::DataLoss("GET " + url + ": the answer is not JSON");
  }
  RepoInfo info;
  const auto sha = json.find("sha");
  if (sha == json.end() || !sha->is_string() || !IsHex(sha->get<std::string>(), 40)) {
    return Status::DataLoss("GET " + url + ": the answer has no 40-hex \"sha\"");
  }
  info.commit = Lower(sha->get<std::string>());
  const auto siblings = json.find("siblings");
  if (siblings == json.end() || !siblings->is_array()) {
    return Status::DataLoss("GET " + url + ": the answer has no \"siblings\" list");
  }
  for (const auto& s : *siblings) {
    if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string()) {
      info.files.push_back(s["rfilename"].get<std::string>());
    }
  }
  return info;
}

Result<RemoteFile> HubClient::HeadFile(const std::string& repo, const std::string& revision,
                                       const std::string& path) {
  const std::string url = ResolveUrl(options_.endpoint, repo, revision, path);
  IMI_ASSIGN_OR_RETURN(Exchange exchange, FollowWithRetry("HEAD", url, false));
  RemoteFile remote;
  const HttpResponse& hub = exchange.hub;
  if (hub.status == 404) return remote;
  if (!(hub.status >= 200 && hub.status < 300) && !IsRedirect(hub.status)) {
    return HttpError("HEAD", url, hub);
  }
  remote.exists = true;
  std::string etag = hub.Header("x-linked-etag");
  if (etag.empty()) etag = hub.Header("etag");
  remote.etag = NormalizeEtag(etag);
  std::string size = hub.Header("x-linked-size");
  if (size.empty() && hub.status >= 200 && hub.status < 300) size = hub.Header("content-length");
  remote.size = ParseSize(size);
  remote.commit = Lower(hub.Header("x-repo-commit"));
  return remote;
}

Result<std::string> HubClient::Download(const std::string& repo, const std::string& revision,
                                        const std::string& path, const RemoteFile& remote,
                                        const std::string& dest) {
  const std::string url = ResolveUrl(options_.endpoint, repo, revision, path);
  const std::string partial = dest + ".incomplete";
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dest).parent_path(), ec);
  if (ec) return Status::IoError("cannot create the directory of " + dest + ": " + ec.message());

  ProgressReporter progress(options_.progress, options_.log);
  Status last_error = Status::Ok();
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    int64_t existing = FileSize(partial);
    if (existing < 0 || (remote.size > 0 && static_cast<uint64_t>(existing) > remote.size)) existing = 0;
    uint64_t offset = static_cast<uint64_t>(existing);
    std::unique_ptr<std::FILE, decltype(&std::fclose)> file(
        std::fopen(partial.c_str(), offset > 0 ? "r+b" : "wb"), &std::fclose);
    if (!file) return Status::IoError("cannot open " + partial + ": " + std::strerror(errno));
    Sha256 hasher;
    if (offset > 0) {
      IMI_RETURN_IF_ERROR(HashPrefix(partial, offset, &hasher));
      if (std::fseek(file.get(), static_cast<long>(offset), SEEK_SET) != 0 ||
          ::ftruncate(fileno(file.get()), static_cast<off_t>(offset)) != 0) {
        return Status::IoError("cannot seek in " + partial + ": " + std::strerror(errno));
      }
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (offset > 0) headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");

    bool first_chunk = true;
    BodySink sink = [&](const HttpResponse& head, std::string_view chunk) -> Status {
      if (first_chunk) {
        first_chunk = false;
        const bool resumed = head.status == 206 &&
                             head.Header("content-range").rfind("bytes " + std::to_string(offset) + "-", 0) == 0;
        if (offset > 0 && !resumed) {
          // The server ignored the Range request: start over from byte 0.
          IMI_RETURN_IF_ERROR(Truncate(file.get(), partial));
          hasher = Sha256();
          offset = 0;
          progress.Reset(0);
        }
      }
      if (std::fwrite(chunk.data(), 1, chunk.size(), file.get()) != chunk.size()) {
        return Status::IoError("cannot write " + partial + ": " + std::strerror(errno));
      }
      hasher.Update(chunk);
      progress.Advance(chunk.size());
      return Status::Ok();
    };
    progress.Start(path, offset, remote.size);
    auto exchange = Follow("GET", url, headers, &sink, true);
    progress.Finish(exchange.ok() && exchange->final.status >= 200 && exchange->final.status < 300);
    if (std::fflush(file.get()) != 0) {
      return Status::IoError("cannot write " + partial + ": " + std::strerror(errno));
    }
    if (!exchange.ok()) {
      if (exchange.status().code() != StatusCode::kUnavailable) return exchange.status();
      last_error = exchange.status();
      if (attempt < options_.max_attempts) Backoff(attempt, "GET " + url, last_error.message());
      continue;
    }
    const HttpResponse& r = exchange->final;
    if (r.status == 416) {
      // The partial file does not fit the remote one; start again from zero.
      IMI_RETURN_IF_ERROR(Truncate(file.get(), partial));
      last_error = HttpError("GET", url, r);
      continue;
    }
    if (r.status >= 500) {
      last_error = HttpError("GET", url, r);
      if (attempt < options_.max_attempts) Backoff(attempt, "GET " + url, "HTTP " + std::to_string(r.status));
      continue;
    }
    if (r.status < 200 || r.status >= 300) return HttpError("GET", url, r);
    if (r.status == 200 && first_chunk && offset > 0) {
      // An empty 200 answer to a Range request: the file is empty.
      IMI_RETURN_IF_ERROR(Truncate(file.get(), partial));
      hasher = Sha256();
    }
    if (::fsync(fileno(file.get())) != 0) {
      return Status::IoError("cannot flush " + partial + ": " + std::strerror(errno));
    }
    file.reset();
    const int64_t size = FileSize(partial);
    if (remote.size > 0 && static_cast<uint64_t>(size) < remote.size) {
      last_error = Status::Unavailable("GET " + url + ": the connection ended after " +
                                       std::to_string(size) + " of " + std::to_string(remote.size) + " bytes");
      if (attempt < options_.max_attempts) Backoff(attempt, "GET " + url, "transfer ended early");
      continue;
    }
    const std::string sha256 = hasher.HexDigest();
    const std::string etag = Lower(remote.etag);
    std::string mismatch;
    if (remote.size > 0 && static_cast<uint64_t>(size) != remote.size) {
      mismatch = "is " + std::to_string(size) + " bytes but the hub says " + std::to_string(remote.size);
    } else if (IsHex(etag, 64) && sha256 != etag) {
      mismatch = "has sha256 " + sha256 + " but the hub's ETag is " + etag;
    } else if (IsHex(etag, 40)) {
      IMI_ASSIGN_OR_RETURN(std::string git_sha1, GitBlobSha1OfFile(partial));
      if (git_sha1 != etag) mismatch = "has git blob id " + git_sha1 + " but the hub's ETag is " + etag;
    }
    if (!mismatch.empty()) {
      ::unlink(partial.c_str());
      return Status::DataLoss("downloaded " + path + " from " + url + " " + mismatch +
                              "; the download was deleted, run imi pull again");
    }
    if (::rename(partial.c_str(), dest.c_str()) != 0) {
      return Status::IoError("cannot rename " + partial + " to " + dest + ": " + std::strerror(errno));
    }
    return sha256;
  }
  return last_error.WithContext("giving up after " + std::to_string(options_.max_attempts) + " attempts");
}

}  // namespace imi::hub
