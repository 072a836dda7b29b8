#ifndef IMI_SERVER_HTTP_TYPES_H_
#define IMI_SERVER_HTTP_TYPES_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imi::server {

class MemoryLease;

// A request as the routes see it, independent of the HTTP library. Header
// names are lower-case. The body is complete (the adapter enforced limits).
struct HttpRequest {
  std::string method;  // upper-case, e.g. "GET"
  std::string path;    // decoded path without the query
  std::multimap<std::string, std::string> query;  // decoded parameters
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string remote_addr;
  // What this request holds of the server's memory budget (null outside the
  // transport, e.g. in unit tests); routes charge the JSON they build to it.
  MemoryLease* memory = nullptr;

  // First value of a header (lower-case name) or "" when absent.
  std::string Header(const std::string& lower_name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  // First value of a query parameter or "" when absent.
  std::string Query(const std::string& name) const;
};

// Splits a request target ("/path?k=v&k2") into its percent-decoded path
// and query parameters ('+' is a space in the query only; a '%' not followed
// by two hex digits is kept as it is; a parameter without '=' has the value
// "").
void ParseRequestTarget(std::string_view target, std::string* path,
                        std::multimap<std::string, std::string>* query);

// Percent-decodes `text`; with `plus_as_space`, '+' becomes ' '.
std::string PercentDecode(std::string_view text, bool plus_as_space);

// Whether `method` is one of HTTP/1.1's request methods (upper-case).
bool IsKnownHttpMethod(std::string_view method);

// `s` with ASCII letters lower-cased (header names).
std::string AsciiLower(std::string_view s);

// Connections need descriptors: raises the soft open-file limit to the hard
// one and returns `wanted`, or fewer (with a warning on stderr) when the
// limit minus `reserve` descriptors (files, database connections, pools)
// leaves less room.
size_t ConnectionsTheDescriptorLimitAllows(size_t wanted, size_t reserve);

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set when the connection must not be reused after this response.
  bool close_connection = false;

  void AddHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

}  // namespace imi::server

#endif  // IMI_SERVER_HTTP_TYPES_H_
