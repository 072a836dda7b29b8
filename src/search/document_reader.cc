#include "search/document_reader.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "base/file.h"
#include "base/utf8.h"
#include "search/html_text.h"

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

}  // namespace

Result<std::vector<std::string>> ListInputFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return Status::NotFound("no such file or directory: " + path);
    if (fs::is_directory(path, ec)) {
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file(ec) && Supported(it->path().string())) files.push_back(it->path().string());
      }
      if (ec) return Status::IoError("cannot list " + path + ": " + ec.message());
    } else if (Supported(path)) {
      files.push_back(path);
    } else {
      return Status::InvalidArgument(path + ": unsupported file type; use .txt, .md, .html, .htm or .jsonl");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Result<std::vector<SourceDocument>> ReadDocuments(const std::string& file) {
  IMI_ASSIGN_OR_RETURN(std::string content, ReadFileToString(file));
  size_t bad = utf8::FindInvalid(content);
  if (bad != std::string::npos)
    return Status::InvalidArgument(file + ": not valid UTF-8 at byte " + std::to_string(bad));
  std::string ext = Extension(file);
  std::vector<SourceDocument> docs;
  if (ext == ".jsonl") {
    size_t line_no = 0, start = 0;
    while (start < content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string::npos) end = content.size();
      std::string line = content.substr(start, end - start);
      start = end + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string where = file + ":" + std::to_string(line_no);
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
      if (!j.contains("text") || !j["text"].is_string())
        return Status::InvalidArgument(where + ": needs a string \"text\"");
      SourceDocument doc;
      doc.text = j["text"].get<std::string>();
      if (j.contains("id")) {
        if (j["id"].is_string()) {
          doc.id = j["id"].get<std::string>();
        } else if (j["id"].is_number_integer()) {
          doc.id = j["id"].dump();  // exact digits, also above INT64_MAX
        } else {
          return Status::InvalidArgument(where + ": \"id\" must be a string or an integer");
        }
      }
      j.erase("text");
      j.erase("id");
      doc.metadata = std::move(j);
      docs.push_back(std::move(doc));
    }
    return docs;
  }
  SourceDocument doc;
  doc.id = file;
  doc.metadata["source"] = file;
  if (ext == ".html" || ext == ".htm") {
    HtmlText html = ExtractHtmlText(content);
    doc.text = std::move(html.text);
    if (!html.title.empty()) doc.metadata["title"] = html.title;
    if (!html.url.empty()) doc.metadata["url"] = html.url;
  } else {
    doc.text = std::move(content);
    std::string title = FirstLine(doc.text, ext == ".md");
    if (!title.empty()) doc.metadata["title"] = title;
  }
  docs.push_back(std::move(doc));
  return docs;
}

}  // namespace imi::search
