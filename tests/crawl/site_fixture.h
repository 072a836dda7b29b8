// The sample city site (tools/sitegen) for the crawler's end-to-end tests:
// generated into a directory, served on loopback by siteserver.py, and the
// built imi binary run against it.
#ifndef IMI_TESTS_CRAWL_SITE_FIXTURE_H_
#define IMI_TESTS_CRAWL_SITE_FIXTURE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace imi::crawl::testing {

// Writes variant 1 or 2 of the site into `dir` (site/ and site.json).
// Returns "" or the reason it failed.
std::string GenerateSite(const std::string& dir, int variant);
nlohmann::json LoadManifest(const std::string& dir);

// siteserver.py on 127.0.0.1 with a free port, logging requests to
// `log_path`. Stopped (SIGTERM) by the destructor.
class SiteServer {
 public:
  static std::unique_ptr<SiteServer> Start(const std::string& site_dir, const std::string& log_path,
                                           const std::vector<std::string>& extra_args, std::string* error);
  ~SiteServer();
  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // One JSON object per request served so far (siteserver.py --log).
  std::vector<nlohmann::json> Requests() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

struct ImiRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the built imi with `args` (already shell-quoted); output via files in `scratch`.
ImiRun RunImi(const std::string& args, const std::string& scratch);
// Starts the built imi in the background; stdout and stderr to `output`.
pid_t SpawnImi(const std::vector<std::string>& args, const std::string& output);

// One JSON object per line of a file (a crawl log or request log).
std::vector<nlohmann::json> ReadJsonLines(const std::string& path);

}  // namespace imi::crawl::testing

#endif  // IMI_TESTS_CRAWL_SITE_FIXTURE_H_
