#ifndef IMI_SEARCH_DOCUMENT_READER_H_
#define IMI_SEARCH_DOCUMENT_READER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
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

// How much one input may hold (docs/limits.md).
struct InputLimits {
  // One .txt/.md/.html file, or one .jsonl line (its JSON as written).
  size_t max_document_bytes = 16 * 1024 * 1024;
};

// A path found under the inputs, and why it is skipped ("" when it is read).
struct InputFile {
  std::string path;
  std::string skip_reason;
};

// Input files under `paths`: files as given, directories recursively, keeping
// .txt, .md, .html, .htm and .jsonl; sorted by path. What cannot be read is
// listed with a reason instead of failing: a missing path, an unsupported
// file given by name, a non-regular file (FIFO, socket, device) with a
// supported name, a directory that cannot be listed.
std::vector<InputFile> ListInputFiles(const std::vector<std::string>& paths);

// `path` for messages and metadata: invalid UTF-8 and control characters
// (a newline in a file name) become '?'.
std::string PrintablePath(std::string_view path);

// The document id of a .txt/.md/.html file: its path when that is a valid id
// (1..256 bytes of UTF-8 without control characters), otherwise the path's
// last bytes made valid (invalid UTF-8 and control characters become '?'),
// cut at a code point to leave room, after "…", then "#" and 16 hex digits of
// the path's SHA-256 (docs/limits.md, "Document ids from paths").
std::string DocumentIdForPath(const std::string& path);

// What became of one file.
struct FileOutcome {
  // The file's own problem, naming the file (and line): not readable, not a
  // regular file, too large, invalid UTF-8, a bad .jsonl line. The file is
  // checked whole before any document reaches the sink, so on such an error
  // the sink got nothing (unless the file changed while being read: then the
  // message says so).
  Status input;
  // The first error the sink returned; reading stopped there.
  Status sink;
  size_t documents = 0;  // documents passed to the sink
};

// Reads the documents of one file and passes each to `sink`, in order.
// .txt/.md: one document (id DocumentIdForPath; metadata source and title =
// first line, '#' stripped). .html/.htm: visible text (metadata source,
// title, url). .jsonl: one document per line, {"id"?, "text", ...} with the
// other keys as metadata (at most 32 levels deep and store::kMaxMetadataBytes
// serialised, as everywhere); blank lines are skipped. A .jsonl file is read
// twice (checked, then read), so memory follows the longest line, not the
// file.
FileOutcome ForEachDocument(const std::string& file, const InputLimits& limits,
                            const std::function<Status(SourceDocument)>& sink);

// All documents of one (small) file; InvalidArgument names the file and line.
Result<std::vector<SourceDocument>> ReadDocuments(const std::string& file, const InputLimits& limits = {});

}  // namespace imi::search

#endif  // IMI_SEARCH_DOCUMENT_READER_H_
