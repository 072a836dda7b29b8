#ifndef IMI_SERVER_HTTP_TYPES_H_
#define IMI_SERVER_HTTP_TYPES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace imi::server {

// A request as the routes see it, independent of the HTTP library. Header
// names are lower-case. The body is complete (the adapter enforced limits).
struct HttpRequest {
  std::string method;  // upper-case, e.g. "GET"
  std::string path;    // decoded path without the query
  std::multimap<std::string, std::string> query;  // decoded parameters
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string remote_addr;

  // First value of a header (lower-case name) or "" when absent.
  std::string Header(const std::string& lower_name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  // First value of a query parameter or "" when absent.
  std::string Query(const std::string& name) const;
};

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
