#ifndef IMI_SEARCH_DOCUMENT_READER_H_
#define IMI_SEARCH_DOCUMENT_READER_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace imi::search {

// A document read from a file, before chunking and embedding.
struct SourceDocument {
  std::string id;
  std::string text;
  nlohmann::json metadata = nlohmann::json::object();
};

// Input files under `paths`: files as given, directories recursively, keeping
// .txt, .md, .html, .htm and .jsonl; sorted. NotFound names a missing path.
Result<std::vector<std::string>> ListInputFiles(const std::vector<std::string>& paths);

// Documents in one file. .txt/.md: one document (id = path; metadata source
// and title = first line, '#' stripped). .html/.htm: visible text (metadata
// source, title, url). .jsonl: one document per line, {"id"?, "text", ...}
// with the other keys as metadata. InvalidArgument names the file and line.
Result<std::vector<SourceDocument>> ReadDocuments(const std::string& file);

}  // namespace imi::search

#endif  // IMI_SEARCH_DOCUMENT_READER_H_
