#include "server/json_io.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace imi::server {

namespace {

// Byte offset where nesting first exceeds kMaxJsonDepth, or npos.
size_t FindTooDeep(std::string_view body) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<nlohmann::json> ParseJsonBody(std::string_view body) {
  size_t first = 0;
  while (first < body.size() && (body[first] == ' ' || body[first] == '\t' || body[first] == '\r' ||
                                 body[first] == '\n')) {
    ++first;
  }
  if (first == body.size()) {
    return Status::InvalidArgument("the request body is empty; send a JSON object with Content-Type: application/json");
  }
  if (const size_t at = FindTooDeep(body); at != std::string_view::npos) {
    return Status::InvalidArgument("the request body nests arrays/objects deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels (at byte " + std::to_string(at) + ")");
  }
  try {
    return nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/false);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument("the request body is not valid JSON (at byte " + std::to_string(e.byte) +
                                   "): " + std::string(e.what()));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("the request body could not be parsed: ") + e.what());
  }
}

std::string DumpJson(const nlohmann::json& value) {
  try {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception&) {
    return "null";
  }
}

std::string JsonString(std::string_view s) { return DumpJson(nlohmann::json(std::string(s))); }

void AppendFloat(std::string* out, float value) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, result.ptr);
}

void AppendFloatArray(std::string* out, const std::vector<float>& values) {
  out->reserve(out->size() + values.size() * 12 + 2);
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendFloat(out, values[i]);
  }
  out->push_back(']');
}

std::string Base64Float32(const std::vector<float>& values) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(values.size() * 4, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + static_cast<size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xFF);
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += (i + 1 < bytes.size()) ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace imi::server
