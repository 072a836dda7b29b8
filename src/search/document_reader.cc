#include "search/document_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/json_scan.h"
#include "base/utf8.h"
#include "search/html_text.h"
#include "store/vector_store.h"

namespace imi::search {

namespace {

namespace fs = std::filesystem;

std::string Extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool Supported(const std::string& path) {
  std::string ext = Extension(path);
  return ext == ".txt" || ext == ".md" || ext == ".html" || ext == ".htm" || ext == ".jsonl";
}

std::string FirstLine(const std::string& text, bool markdown) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (markdown) line.erase(0, line.find_first_not_of("# "));
    line.erase(0, line.find_first_not_of(" \t\r"));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) return line;
    start = end + 1;
  }
  return "";
}

// `s` as valid UTF-8 without control characters: each invalid sequence and
// control character becomes '?'.
std::string Printable(std::string_view s) {
  std::string out;
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const char32_t cp = utf8::Decode(s, &pos);
    if (cp == utf8::kInvalid || cp < 0x20 || cp == 0x7f) {
      out += '?';
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  return out;
}

// The path for messages: one line of valid UTF-8.
std::string Shown(const std::string& path) { return Printable(path); }

// A title kept as metadata: at most kMaxTitleBytes, cut at a code point.
constexpr size_t kMaxTitleBytes = 1024;
std::string Title(std::string text) {
  if (text.size() <= kMaxTitleBytes) return text;
  size_t cut = kMaxTitleBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// A regular file opened for reading, or why not. O_NONBLOCK so that a FIFO
// (which has no writer) cannot block the open; a regular file ignores it.
struct OpenFile {
  int fd = -1;
  off_t size = 0;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

Status Open(const std::string& path, OpenFile* file) {
  file->fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (file->fd < 0) return Status::InvalidArgument(Shown(path) + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(file->fd, &st) != 0) return Status::InvalidArgument(Shown(path) + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(Shown(path) + ": not a regular file");
  file->size = st.st_size;
  return Status::Ok();
}

// Reads at most `limit` bytes; InvalidArgument when the file holds more.
Status ReadAll(const std::string& path, OpenFile* file, size_t limit, std::string* out) {
  out->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file->fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Status::InvalidArgument(Shown(path) + ": cannot read: " + std::strerror(errno));
    }
    if (n == 0) return Status::Ok();
    if (out->size() + static_cast<size_t>(n) > limit)
      return Status::InvalidArgument(Shown(path) + ": larger than " + std::to_string(limit) +
                                     " bytes (--max-document-bytes)");
    out->append(buf, static_cast<size_t>(n));
  }
}

// Splits an open file into lines of at most `limit` bytes (without '\n').
class Lines {
 public:
  Lines(const std::string& path, int fd, size_t limit) : path_(path), fd_(fd), limit_(limit) {}
  // Ok(true) with *line set, Ok(false) at the end.
  Result<bool> Next(std::string* line) {
    for (;;) {
      const size_t newline = buffer_.find('\n', start_);
      const size_t unfinished = (newline == std::string::npos ? buffer_.size() : newline) - start_;
      if (unfinished > limit_)
        return Status::InvalidArgument(Shown(path_) + ":" + std::to_string(number_ + 1) + ": line longer than " +
                                       std::to_string(limit_) + " bytes (--max-document-bytes)");
      if (newline != std::string::npos) {
        line->assign(buffer_, start_, newline - start_);
        start_ = newline + 1;
        ++number_;
        return true;
      }
      if (eof_) {
        if (start_ == buffer_.size()) return false;
        line->assign(buffer_, start_, std::string::npos);
        start_ = buffer_.size();
        ++number_;
        return true;
      }
      buffer_.erase(0, start_);
      start_ = 0;
      char buf[1 << 16];
      const ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Status::InvalidArgument(Shown(path_) + ": cannot read: " + std::strerror(errno));
      }
      if (n == 0) {
        eof_ = true;
      } else {
        buffer_.append(buf, static_cast<size_t>(n));
      }
    }
  }
  size_t number() const { return number_; }

 private:
  const std::string& path_;
  int fd_;
  size_t limit_;
  std::string buffer_;
  size_t start_ = 0;
  size_t number_ = 0;
  bool eof_ = false;
};

// One .jsonl line as a document, or why it is not one (without the file:line).
Result<SourceDocument> ParseJsonLine(const std::string& line) {
  if (size_t bad = utf8::FindInvalid(line); bad != std::string::npos)
    return Status::InvalidArgument("not valid UTF-8 at byte " + std::to_string(bad) + " of the line");
  if (size_t at = FindJsonNestingDeeperThan(line, store::kMaxMetadataDepth); at != std::string::npos)
    return Status::InvalidArgument("nests arrays/objects deeper than " + std::to_string(store::kMaxMetadataDepth) +
                                   " levels (at byte " + std::to_string(at) + ")");
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not a JSON object");
  auto text = j.find("text");
  if (text == j.end() || !text->is_string()) return Status::InvalidArgument("needs a string \"text\"");
  SourceDocument doc;
  doc.text = text->get<std::string>();
  if (auto id = j.find("id"); id != j.end()) {
    if (id->is_string()) {
      doc.id = id->get<std::string>();
    } else if (id->is_number_integer()) {
      doc.id = id->dump();  // exact digits, also above INT64_MAX
    } else {
      return Status::InvalidArgument("\"id\" must be a string or an integer");
    }
    if (!doc.id.empty()) IMI_RETURN_IF_ERROR(store::ValidateDocumentId(doc.id).WithContext("\"id\""));
  }
  j.erase("text");
  j.erase("id");
  IMI_RETURN_IF_ERROR(store::ValidateMetadata(j));
  doc.metadata = std::move(j);
  return doc;
}

FileOutcome ReadJsonl(const std::string& file, const InputLimits& limits,
                      const std::function<Status(SourceDocument)>& sink) {
  FileOutcome outcome;
  // Pass 1 checks every line, so that a bad line skips the whole file
  // before any of its documents is stored; pass 2 reads them again.
  for (int pass = 0; pass < 2; ++pass) {
    OpenFile opened;
    if (Status s = Open(file, &opened); !s.ok()) {
      outcome.input = pass == 0 ? s : s.WithContext("the file changed while being indexed");
      return outcome;
    }
    Lines lines(file, opened.fd, limits.max_document_bytes);
    std::string line;
    for (;;) {
      Result<bool> more = lines.Next(&line);
      if (!more.ok()) {
        outcome.input = more.status();
        break;
      }
      if (!*more) break;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      Result<SourceDocument> doc = ParseJsonLine(line);
      if (!doc.ok()) {
        outcome.input = doc.status().WithContext(Shown(file) + ":" + std::to_string(lines.number()));
        break;
      }
      if (pass == 0) continue;
      outcome.sink = sink(std::move(doc).value());
      if (!outcome.sink.ok()) return outcome;
      ++outcome.documents;
    }
    if (!outcome.input.ok()) {
      if (pass == 1)
        outcome.input = outcome.input.WithContext("the file changed while being indexed (" +
                                                  std::to_string(outcome.documents) + " of its documents were stored)");
      return outcome;
    }
  }
  return outcome;
}

}  // namespace

std::string PrintablePath(std::string_view path) { return Printable(path); }

std::vector<InputFile> ListInputFiles(const std::vector<std::string>& paths) {
  std::vector<InputFile> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      files.push_back({path, ec && ec != std::errc::no_such_file_or_directory
                                 ? "cannot read: " + ec.message()
                                 : "no such file or directory"});
      continue;
    }
    if (fs::is_directory(status)) {
      // Directories are walked one at a time so that one that cannot be
      // listed is reported and the rest still read.
      std::vector<fs::path> pending = {path};
      while (!pending.empty()) {
        const fs::path dir = pending.back();
        pending.pop_back();
        fs::directory_iterator it(dir, ec);
        if (ec) {
          files.push_back({dir.string(), "cannot list directory: " + ec.message()});
          continue;
        }
        for (; it != fs::directory_iterator(); it.increment(ec)) {
          if (ec) {
            files.push_back({dir.string(), "cannot list directory: " + ec.message()});
            break;
          }
          const fs::path entry = it->path();
          std::error_code type_ec;
          const fs::file_status st = fs::status(entry, type_ec);
          if (fs::is_directory(st) && !fs::is_symlink(it->symlink_status(type_ec))) {
            pending.push_back(entry);
          } else if (Supported(entry.string())) {
            files.push_back({entry.string(), fs::is_regular_file(st) ? "" : "not a regular file"});
          }
        }
      }
    } else if (!Supported(path)) {
      files.push_back({path, "unsupported file type; use .txt, .md, .html, .htm or .jsonl"});
    } else {
      files.push_back({path, fs::is_regular_file(status) ? "" : "not a regular file"});
    }
  }
  std::sort(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  files.erase(std::unique(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) { return a.path == b.path; }),
              files.end());
  return files;
}

std::string DocumentIdForPath(const std::string& path) {
  if (store::ValidateDocumentId(path).ok()) return path;
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(Fnv1a64(path)));
  const std::string suffix = std::string("#") + hash;
  const std::string printable = Printable(path);
  const std::string ellipsis = "\xE2\x80\xA6";  // …
  const size_t room = 256 - suffix.size();
  if (printable.size() <= room) return printable + suffix;
  // Keep the end of the path (the file name), cut at a code point.
  size_t from = printable.size() - (room - ellipsis.size());
  while (from < printable.size() && (static_cast<unsigned char>(printable[from]) & 0xC0) == 0x80) ++from;
  return ellipsis + printable.substr(from) + suffix;
}

FileOutcome ForEachDocument(const std::string& file, const InputLimits& limits,
                            const std::function<Status(SourceDocument)>& sink) {
  const std::string ext = Extension(file);
  if (ext == ".jsonl") return ReadJsonl(file, limits, sink);
  FileOutcome outcome;
  OpenFile opened;
  std::string content;
  if (Status s = Open(file, &opened); !s.ok()) {
    outcome.input = s;
    return outcome;
  }
  if (static_cast<uint64_t>(opened.size) > limits.max_document_bytes) {
    outcome.input = Status::InvalidArgument(Shown(file) + ": " + std::to_string(opened.size) + " bytes, more than " +
                                            std::to_string(limits.max_document_bytes) + " (--max-document-bytes)");
    return outcome;
  }
  if (Status s = ReadAll(file, &opened, limits.max_document_bytes, &content); !s.ok()) {
    outcome.input = s;
    return outcome;
  }
  if (size_t bad = utf8::FindInvalid(content); bad != std::string::npos) {
    outcome.input = Status::InvalidArgument(Shown(file) + ": not valid UTF-8 at byte " + std::to_string(bad));
    return outcome;
  }
  SourceDocument doc;
  doc.id = DocumentIdForPath(file);
  doc.metadata["source"] = Printable(file);
  if (ext == ".html" || ext == ".htm") {
    HtmlText html = ExtractHtmlText(content);
    doc.text = std::move(html.text);
    if (!html.title.empty()) doc.metadata["title"] = Title(std::move(html.title));
    if (!html.url.empty()) doc.metadata["url"] = Title(std::move(html.url));
  } else {
    doc.text = std::move(content);
    std::string title = FirstLine(doc.text, ext == ".md");
    if (!title.empty()) doc.metadata["title"] = Title(std::move(title));
  }
  if (Status s = store::ValidateMetadata(doc.metadata); !s.ok()) {
    outcome.input = s.WithContext(Shown(file));
    return outcome;
  }
  outcome.sink = sink(std::move(doc));
  if (outcome.sink.ok()) outcome.documents = 1;
  return outcome;
}

Result<std::vector<SourceDocument>> ReadDocuments(const std::string& file, const InputLimits& limits) {
  std::vector<SourceDocument> docs;
  FileOutcome outcome = ForEachDocument(file, limits, [&](SourceDocument doc) {
    docs.push_back(std::move(doc));
    return Status::Ok();
  });
  if (!outcome.input.ok()) return outcome.input;
  return docs;
}

}  // namespace imi::search
