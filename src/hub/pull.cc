#include "hub/pull.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "hub/hub_client.h"
#include "hub/manifest.h"
#include "hub/url.h"
#include "model/variant.h"

namespace imi::hub {
namespace {

constexpr char kRequiredConfig[] = "config.json";
constexpr char kTokenizer[] = "tokenizer.json";
constexpr char kOnnxTokenizer[] = "onnx/tokenizer.json";
constexpr char kSafetensors[] = "model.safetensors";
constexpr char kSafetensorsIndex[] = "model.safetensors.index.json";
// Files sentence-transformers and the tokenizer read when present, and
// bge-m3's sparse and ColBERT heads (docs/models.md).
const std::vector<std::string>& OptionalFiles() {
  static const std::vector<std::string> files = {
      "modules.json",           "sentence_bert_config.json", "config_sentence_transformers.json",
      "1_Pooling/config.json",  "tokenizer_config.json",     "special_tokens_map.json",
      "added_tokens.json",      "sparse_linear.pt",          "colbert_linear.pt"};
  return files;
}

bool IsCommitSha(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status ValidateRepo(const std::string& repo) {
  static const std::regex kSegment(R"([A-Za-z0-9][A-Za-z0-9._-]{0,95})");
  const size_t slash = repo.find('/');
  std::vector<std::string> parts;
  if (slash == std::string::npos) {
    parts.push_back(repo);
  } else {
    parts.push_back(repo.substr(0, slash));
    parts.push_back(repo.substr(slash + 1));
  }
  for (const auto& p : parts) {
    if (!std::regex_match(p, kSegment) || p.find("..") != std::string::npos) {
      return Status::InvalidArgument("'" + repo +
                                     "' is not a Hugging Face repository id: use OWNER/NAME with letters, "
                                     "digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Status ValidateRevision(const std::string& revision) {
  const bool bad_char = std::any_of(revision.begin(), revision.end(), [](unsigned char c) {
    return c <= ' ' || c == 0x7f;
  });
  if (revision.empty() || revision.size() > 255 || bad_char || revision.find("..") != std::string::npos) {
    return Status::InvalidArgument("--revision '" + revision + "' is not a commit sha, branch or tag name");
  }
  return Status::Ok();
}

std::string RepoDirName(const std::string& repo) {
  std::string name = repo;
  const size_t slash = name.find('/');
  if (slash != std::string::npos) name.replace(slash, 1, "--");
  return name;
}

std::string RefPath(const std::string& cache_dir, const std::string& repo, const std::string& revision) {
  return cache_dir + "/refs/" + RepoDirName(repo) + "/" + PercentEncode(revision, false);
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return st.st_size;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// ONNX files a model directory may use: at the root or under onnx/.
std::vector<std::string> OnnxCandidates(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (f.size() <= 5 || f.compare(f.size() - 5, 5, ".onnx") != 0) continue;
    const size_t slash = f.find('/');
    if (slash == std::string::npos || f.compare(0, slash + 1, "onnx/") == 0) out.push_back(f);
  }
  return out;
}

// Files next to an ONNX file holding its external weights.
std::vector<std::string> ExternalDataOf(const std::string& onnx, const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& suffix : {std::string("_data"), std::string(".data")}) {
    if (Contains(files, onnx + suffix)) out.push_back(onnx + suffix);
  }
  return out;
}

// sentence-transformers module folders: "<n>_<Name>/config.json".
bool IsModuleConfig(const std::string& path) {
  static const std::regex kModule(R"([0-9]+_[A-Za-z0-9_]+/config\.json)");
  return std::regex_match(path, kModule);
}

// An exclusive advisory lock on "<model dir>.lock", so that two pulls of the
// same revision do not write the same partial files. Released on destruction.
class DirectoryLock {
 public:
  DirectoryLock() = default;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

  // Takes the lock, waiting for another holder (after saying so on `log`).
  Status Acquire(const std::string& path, std::FILE* log) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError("cannot create lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return Status::Ok();
    if (log != nullptr) {
      std::fprintf(log, "imi pull: waiting for another imi pull of the same model (%s)\n", path.c_str());
      std::fflush(log);
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return Status::IoError("cannot lock " + path + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

void Note(const PullOptions& options, const std::string& line) {
  if (options.log == nullptr) return;
  std::fprintf(options.log, "imi pull: %s\n", line.c_str());
  std::fflush(options.log);
}

Result<model::VariantChoice> Choose(const std::vector<std::string>& onnx_files, const PullOptions& options,
                                    const model::CpuFeatures& cpu, const std::string& where) {
  IMI_ASSIGN_OR_RETURN(model::VariantRequest request, model::ParseVariantRequest(options.variant));
  auto choice = model::ChooseVariant(onnx_files, cpu, request);
  if (!choice.ok()) return choice.status().WithContext(where);
  return choice;
}

// Reads the manifest of `dir`; NotFound when there is none.
Result<Manifest> LoadManifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestFileName;
  IMI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ManifestFromJson(text, path);
}

// When the cached directory already holds everything `options` asks for,
// returns the result (rewriting the manifest's variant when it changed);
// NotFound naming what is missing otherwise.
Result<PullResult> FromCache(const std::string& dir, const PullOptions& options, const model::CpuFeatures& cpu) {
  IMI_ASSIGN_OR_RETURN(Manifest manifest, LoadManifest(dir));
  IMI_ASSIGN_OR_RETURN(model::VariantChoice choice,
                       Choose(manifest.onnx_files, options, cpu, manifest.repo + "@" + manifest.revision));
  std::vector<std::string> needed = {choice.file};
  for (const auto& f : manifest.files) {
    const bool onnx_related = Contains(manifest.onnx_files, f.path) ||
                              std::any_of(manifest.onnx_files.begin(), manifest.onnx_files.end(),
                                          [&](const std::string& o) { return f.path.rfind(o, 0) == 0; });
    if (!onnx_related) needed.push_back(f.path);
  }
  for (const auto& p : ExternalDataOf(choice.file, [&] {
         std::vector<std::string> paths;
         for (const auto& f : manifest.files) paths.push_back(f.path);
         return paths;
       }())) {
    needed.push_back(p);
  }
  for (const auto& path : needed) {
    const ManifestFile* entry = manifest.Find(path);
    const int64_t size = FileSize(dir + "/" + path);
    if (entry == nullptr || size < 0 || static_cast<uint64_t>(size) != entry->size) {
      return Status::NotFound(dir + " lacks " + path);
    }
  }
  if (manifest.variant != choice.file) {
    manifest.variant = choice.file;
    manifest.variant_reason = choice.reason;
    IMI_RETURN_IF_ERROR(WriteFileAtomically(dir + "/" + kManifestFileName, ManifestToJson(manifest)));
  }
  PullResult result;
  result.repo = manifest.repo;
  result.model_dir = dir;
  result.revision = manifest.revision;
  result.variant = choice.file;
  result.variant_reason = choice.reason;
  return result;
}

Result<PullResult> PullOffline(const PullOptions& o, const std::string& cache_dir, const model::CpuFeatures& cpu) {
  std::string commit = Lower(o.revision);
  if (!IsCommitSha(o.revision)) {
    auto ref = ReadFileToString(RefPath(cache_dir, o.repo, o.revision));
    if (!ref.ok()) {
      return Status::NotFound("--offline: no cached copy of " + o.repo + " at revision '" + o.revision + "' in " +
                              cache_dir + "; run imi pull without --offline first");
    }
    commit = Lower(std::string(ref->substr(0, ref->find_first_of(" \r\n"))));
  }
  const std::string dir = ModelDirFor(cache_dir, o.repo, commit);
  auto cached = FromCache(dir, o, cpu);
  if (!cached.ok()) {
    const std::string what = cached.status().code() == StatusCode::kNotFound && FileSize(dir + "/" + kManifestFileName) < 0
                                 ? o.repo + "@" + commit + " is not in the cache (no " + dir + "/" + kManifestFileName + ")"
                                 : cached.status().message();
    return Status(cached.status().code(), "--offline: " + what + "; run imi pull without --offline first");
  }
  return cached;
}

}  // namespace

Result<PullResult> RecordConversion(const std::string& dir, const std::vector<std::string>& written,
                                    const std::string& variant, const model::CpuFeatures& cpu) {
  IMI_ASSIGN_OR_RETURN(Manifest manifest, LoadManifest(dir));
  const std::filesystem::path root(dir);
  manifest.onnx_files.clear();
  for (const auto& w : written) {
    const std::string rel = std::filesystem::path(w).lexically_relative(root).string();
    if (rel.size() > 5 && rel.compare(rel.size() - 5, 5, ".onnx") == 0) manifest.onnx_files.push_back(rel);
    for (const std::string& path : {rel, rel + "_data"}) {
      const int64_t size = FileSize(dir + "/" + path);
      if (size < 0) continue;
      IMI_ASSIGN_OR_RETURN(std::string sha256, Sha256OfFile(dir + "/" + path));
      std::erase_if(manifest.files, [&](const ManifestFile& f) { return f.path == path; });
      manifest.files.push_back({path, static_cast<uint64_t>(size), sha256, ""});
    }
  }
  PullOptions o;
  o.variant = variant;
  IMI_ASSIGN_OR_RETURN(model::VariantChoice choice,
                       Choose(manifest.onnx_files, o, cpu, manifest.repo + "@" + manifest.revision));
  manifest.variant = choice.file;
  manifest.variant_reason = choice.reason;
  manifest.converted_from = "safetensors";
  IMI_RETURN_IF_ERROR(WriteFileAtomically(dir + "/" + kManifestFileName, ManifestToJson(manifest)));
  PullResult result;
  result.repo = manifest.repo;
  result.model_dir = dir;
  result.revision = manifest.revision;
  result.variant = choice.file;
  result.variant_reason = choice.reason;
  return result;
}

std::string DefaultCacheDir() {
  const char* imi_home = std::getenv("IMI_HOME");
  if (imi_home != nullptr && *imi_home != '\0') return std::string(imi_home) + "/models";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.cache/imi/models";
  return ".imi/models";
}

std::string ModelDirFor(const std::string& cache_dir, const std::string& repo, const std::string& commit) {
  return cache_dir + "/" + RepoDirName(repo) + "@" + commit;
}

Result<PullResult> Pull(const PullOptions& options, HttpClient* http, const model::CpuFeatures& cpu) {
  PullOptions o = options;
  if (o.repo.empty()) o.repo = kDefaultRepo;
  if (o.revision.empty()) o.revision = o.repo == kDefaultRepo ? kDefaultRevision : "main";
  if (o.endpoint.empty()) o.endpoint = kDefaultEndpoint;
  // Absolute, so the printed directory works from any working directory.
  std::error_code ec;
  const std::filesystem::path cache_path = o.cache_dir.empty() ? DefaultCacheDir() : o.cache_dir;
  const std::filesystem::path absolute_cache = std::filesystem::absolute(cache_path, ec);
  std::string cache_dir = (ec ? cache_path : absolute_cache).lexically_normal().string();
  while (cache_dir.size() > 1 && cache_dir.back() == '/') cache_dir.pop_back();
  IMI_RETURN_IF_ERROR(ValidateRepo(o.repo));
  IMI_RETURN_IF_ERROR(ValidateRevision(o.revision));
  IMI_RETURN_IF_ERROR(model::ParseVariantRequest(o.variant).status());
  if (o.endpoint.rfind("http://", 0) != 0 && o.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("endpoint '" + o.endpoint + "' is not an http:// or https:// URL (HF_ENDPOINT or --endpoint)");
  }

  if (o.offline) return PullOffline(o, cache_dir, cpu);

  // A commit is immutable: a complete cached copy needs no network at all.
  if (IsCommitSha(o.revision)) {
    auto cached = FromCache(ModelDirFor(cache_dir, o.repo, Lower(o.revision)), o, cpu);
    if (cached.ok()) return cached;
  }

  HubClientOptions hub_options;
  hub_options.endpoint = o.endpoint;
  hub_options.token = o.token;
  hub_options.max_attempts = std::max(1, o.max_attempts);
  hub_options.initial_backoff_ms = o.initial_backoff_ms;
  hub_options.progress = o.log == nullptr ? ProgressStyle::kNone : o.progress;
  hub_options.log = o.log;
  HubClient hub(http, hub_options);

  // The file list comes from the API; mirrors without it are probed by HEAD.
  std::string commit;
  std::vector<std::string> files;
  std::map<std::string, RemoteFile> heads;
  auto info = hub.GetRepoInfo(o.repo, o.revision);
  if (info.ok()) {
    commit = info->commit;
    files = std::move(info->files);
  } else if (info.status().code() == StatusCode::kFailedPrecondition || !hub.server_answered()) {
    // Refused credentials, or no server at all: probing file by file cannot help.
    return info.status();
  } else {
    Note(o, "model API unavailable (" + info.status().message() + "); probing files one by one");
    IMI_ASSIGN_OR_RETURN(RemoteFile config, hub.HeadFile(o.repo, o.revision, kRequiredConfig));
    if (!config.exists) {
      return Status::NotFound(o.repo + " at revision '" + o.revision + "' was not found at " + o.endpoint +
                              " (no " + kRequiredConfig + "): check the repository id and --revision");
    }
    commit = !config.commit.empty() ? config.commit : (IsCommitSha(o.revision) ? Lower(o.revision) : "");
    if (!IsCommitSha(commit)) {
      return Status::Unavailable(o.endpoint + " did not say which commit '" + o.revision +
                                 "' is (no X-Repo-Commit header); pass --revision with a 40-hex commit sha");
    }
    heads[kRequiredConfig] = config;
    std::vector<std::string> probe = OptionalFiles();
    probe.push_back(kTokenizer);
    probe.push_back(kOnnxTokenizer);
    for (const auto& base : model::VariantPreferenceOrder()) probe.push_back("onnx/" + base + ".onnx");
    probe.push_back("model.onnx");
    probe.push_back(kSafetensors);
    probe.push_back(kSafetensorsIndex);
    files.push_back(kRequiredConfig);
    for (const auto& path : probe) {
      IMI_ASSIGN_OR_RETURN(RemoteFile remote, hub.HeadFile(o.repo, commit, path));
      if (!remote.exists) continue;
      heads[path] = remote;
      files.push_back(path);
      if (path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0) {
        for (const auto& suffix : {"_data", ".data"}) {
          IMI_ASSIGN_OR_RETURN(RemoteFile data, hub.HeadFile(o.repo, commit, path + suffix));
          if (data.exists) {
            heads[path + suffix] = data;
            files.push_back(path + suffix);
          }
        }
      }
    }
  }

  if (!IsCommitSha(o.revision)) {
    const std::string ref = RefPath(cache_dir, o.repo, o.revision);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(ref).parent_path(), ec);
    IMI_RETURN_IF_ERROR(WriteFileAtomically(ref, commit + "\n"));
  }
  const std::string dir = ModelDirFor(cache_dir, o.repo, commit);
  DirectoryLock lock;
  IMI_RETURN_IF_ERROR(lock.Acquire(dir + ".lock", o.log));
  // Checked under the lock: a concurrent pull may just have completed it.
  auto cached = FromCache(dir, o, cpu);
  if (cached.ok()) return cached;

  const std::string where = o.repo + "@" + commit;
  const std::vector<std::string> onnx_files = OnnxCandidates(files);
  // A repository with weights but no ONNX files is converted by the caller.
  const bool convert = onnx_files.empty() && (Contains(files, kSafetensors) || Contains(files, kSafetensorsIndex));
  model::VariantChoice choice;
  if (convert) {
    Note(o, where + ": no ONNX files; downloading the safetensors weights to convert them (imi convert)");
  } else {
    IMI_ASSIGN_OR_RETURN(choice, Choose(onnx_files, o, cpu, where));
    Note(o, where + ": variant " + choice.file + " (" + choice.reason + ")");
  }

  // What to fetch: required files, optional ones the revision has, one variant.
  std::vector<std::string> wanted;
  std::vector<std::string> missing_optional;
  if (!Contains(files, kRequiredConfig)) {
    return Status::NotFound(where + " has no " + std::string(kRequiredConfig) + ": not a transformers model repository");
  }
  wanted.push_back(kRequiredConfig);
  if (Contains(files, kTokenizer)) {
    wanted.push_back(kTokenizer);
  } else if (Contains(files, kOnnxTokenizer)) {
    wanted.push_back(kOnnxTokenizer);
  } else {
    return Status::NotFound(where + " has no tokenizer.json (imi needs the fast tokenizer file)");
  }
  std::vector<std::string> optional = OptionalFiles();
  for (const auto& f : files) {
    if (IsModuleConfig(f) && !Contains(optional, f)) optional.push_back(f);
  }
  for (const auto& f : optional) {
    (Contains(files, f) ? wanted : missing_optional).push_back(f);
  }
  if (convert) {
    // Shards listed by the API are fetched with the index; without the API
    // they are read from the index once it is here (below).
    if (Contains(files, kSafetensorsIndex)) {
      wanted.push_back(kSafetensorsIndex);
      static const std::regex kShard(R"(model-[0-9]+-of-[0-9]+\.safetensors)");
      for (const auto& f : files) {
        if (std::regex_match(f, kShard)) wanted.push_back(f);
      }
    } else {
      wanted.push_back(kSafetensors);
    }
  } else {
    wanted.push_back(choice.file);
    for (const auto& f : ExternalDataOf(choice.file, files)) wanted.push_back(f);
  }

  Manifest manifest;
  if (auto previous = LoadManifest(dir); previous.ok()) manifest = std::move(*previous);
  manifest.repo = o.repo;
  manifest.revision = commit;
  manifest.requested_revision = o.revision;
  manifest.endpoint = o.endpoint;
  manifest.variant = choice.file;
  manifest.variant_reason = choice.reason;
  manifest.onnx_files = onnx_files;
  manifest.missing_optional.clear();

  PullResult result;
  result.repo = o.repo;
  result.model_dir = dir;
  result.revision = commit;
  result.variant = choice.file;
  result.variant_reason = choice.reason;
  result.needs_conversion = convert;
  for (size_t wi = 0; wi < wanted.size(); ++wi) {
    const std::string path = wanted[wi];
    RemoteFile remote;
    if (auto it = heads.find(path); it != heads.end()) {
      remote = it->second;
    } else {
      IMI_ASSIGN_OR_RETURN(remote, hub.HeadFile(o.repo, commit, path));
    }
    const bool optional_file = Contains(optional, path);
    if (!remote.exists) {
      if (optional_file) {
        manifest.missing_optional.push_back(path);
        continue;
      }
      return Status::NotFound(where + " lists " + path + " but the hub answers 404 for it");
    }
    // imi embed reads the tokenizer at the directory's root.
    const std::string local = path == kOnnxTokenizer ? std::string(kTokenizer) : path;
    const std::string dest = dir + "/" + local;
    std::string sha256;
    if (LocalFileMatches(dest, remote)) {
      IMI_ASSIGN_OR_RETURN(sha256, Sha256OfFile(dest));
    } else {
      IMI_ASSIGN_OR_RETURN(sha256, hub.Download(o.repo, commit, path, remote, dest));
      ++result.files_downloaded;
    }
    ManifestFile entry{local, static_cast<uint64_t>(FileSize(dest)), sha256, remote.etag};
    auto existing = std::find_if(manifest.files.begin(), manifest.files.end(),
                                 [&](const ManifestFile& f) { return f.path == local; });
    if (existing != manifest.files.end()) {
      *existing = entry;
    } else {
      manifest.files.push_back(entry);
    }
    if (path == kSafetensorsIndex) {
      // The shards the index names (a file name beside it each).
      IMI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dest));
      const nlohmann::json index = nlohmann::json::parse(text, nullptr, false);
      if (index.is_discarded() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
        return Status::DataLoss(where + ": " + path + " has no \"weight_map\" object");
      }
      std::set<std::string> shards;
      for (const auto& v : index["weight_map"]) {
        const std::string shard = v.is_string() ? v.get<std::string>() : "";
        if (shard.empty() || shard.find('/') != std::string::npos || shard.find("..") != std::string::npos) {
          return Status::DataLoss(where + ": " + path + " names a shard that is not a file beside it");
        }
        shards.insert(shard);
      }
      for (const auto& shard : shards) {
        if (!Contains(wanted, shard)) wanted.push_back(shard);
      }
    }
  }
  for (const auto& f : missing_optional) manifest.missing_optional.push_back(f);
  // Entries of files no longer on disk (e.g. deleted by hand) are dropped.
  std::erase_if(manifest.files, [&](const ManifestFile& f) { return FileSize(dir + "/" + f.path) < 0; });
  IMI_RETURN_IF_ERROR(WriteFileAtomically(dir + "/" + kManifestFileName, ManifestToJson(manifest)));
  return result;
}

}  // namespace imi::hub
