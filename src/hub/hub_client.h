#ifndef IMI_HUB_HUB_CLIENT_H_
#define IMI_HUB_HUB_CLIENT_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/result.h"
#include "hub/http_client.h"
#include "hub/progress.h"

namespace imi::hub {

struct HubClientOptions {
  std::string endpoint = "https://huggingface.co";
  std::string token;                // sent as "Authorization: Bearer" to the endpoint's host only
  int max_attempts = 4;             // per request, for 5xx answers and dropped connections
  int initial_backoff_ms = 500;     // doubled after each failed attempt
  ProgressStyle progress = ProgressStyle::kNone;
  std::FILE* log = stderr;          // progress and retry notes; not owned
};

// What the hub's model API says about a revision.
struct RepoInfo {
  std::string commit;               // 40-hex commit sha of the revision
  std::vector<std::string> files;   // repository-relative paths ("siblings")
};

// Metadata of one file from the hub's resolve endpoint (HEAD, without
// leaving the hub's host).
struct RemoteFile {
  bool exists = false;
  std::string etag;                 // unquoted; sha256 (64 hex) for LFS files, git blob sha1 (40 hex) otherwise
  uint64_t size = 0;                // 0 when the hub did not say
  std::string commit;               // X-Repo-Commit, when sent
};

// Client of the Hugging Face hub URL layout. Borrows `http` (must outlive it).
// Not thread-safe. Every error message names the URL and the reason.
class HubClient {
 public:
  HubClient(HttpClient* http, HubClientOptions options);

  // GET {endpoint}/api/models/{repo}/revision/{revision}. NotFound on 404,
  // FailedPrecondition on 401/403, Unavailable when unreachable or 5xx after
  // retries, DataLoss when the answer is not the expected JSON.
  Result<RepoInfo> GetRepoInfo(const std::string& repo, const std::string& revision);

  // HEAD of the file's resolve URL; exists=false on 404. Errors as GetRepoInfo.
  Result<RemoteFile> HeadFile(const std::string& repo, const std::string& revision,
                              const std::string& path);

  // Downloads the file to `dest` through `dest`.incomplete (resumed with a
  // Range request when present), checks size and the ETag digest (sha256 for
  // LFS, git blob sha1 otherwise), then renames it into place. Returns the
  // file's sha256. DataLoss (and the partial file deleted) on a mismatch.
  Result<std::string> Download(const std::string& repo, const std::string& revision,
                               const std::string& path, const RemoteFile& remote,
                               const std::string& dest);

  const HubClientOptions& options() const { return options_; }

  // Whether the last GetRepoInfo/HeadFile got an HTTP answer (of any status)
  // rather than a connection failure.
  bool server_answered() const { return server_answered_; }

 private:
  struct Exchange {
    HttpResponse final;             // the last response (after same- and cross-host redirects)
    HttpResponse hub;               // the last response from the starting host
  };
  // Follows up to 10 redirects; Authorization only to the starting origin.
  // With follow_cross_host=false, stops at a redirect that leaves the host.
  Result<Exchange> Follow(const std::string& method, const std::string& url,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers,
                          const BodySink* sink, bool follow_cross_host);
  // Follow() with retries for 5xx and Unavailable.
  Result<Exchange> FollowWithRetry(const std::string& method, const std::string& url,
                                   bool follow_cross_host);
  Status HttpError(const std::string& method, const std::string& url, const HttpResponse& r) const;
  void Backoff(int attempt, const std::string& what, const std::string& reason);

  HttpClient* http_;
  HubClientOptions options_;
  bool server_answered_ = false;
};

// "W/\"abc\"" -> "abc".
std::string NormalizeEtag(std::string etag);

// The sha256 (lowercase hex) of a local file; IoError/NotFound naming it.
Result<std::string> Sha256OfFile(const std::string& path);

// Whether the local file matches `remote` (size, and the ETag digest when it
// is a sha256 or git sha1). Reads the file; false when it is missing.
bool LocalFileMatches(const std::string& path, const RemoteFile& remote);

}  // namespace imi::hub

#endif  // IMI_HUB_HUB_CLIENT_H_
