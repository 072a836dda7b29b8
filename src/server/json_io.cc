#include "server/json_io.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "base/json_scan.h"

namespace imi::server {

namespace {

// Estimated heap bytes of the tree nlohmann::json builds (64-bit
// libstdc++): a value in an array (16 bytes, x2 for vector growth), an
// object or array's own allocation, an object member's map node with its key,
// and the heap part of strings longer than the small-string buffer.
constexpr size_t kValueBytes = 32;
constexpr size_t kContainerBytes = 64;
constexpr size_t kMemberBytes = 96;
constexpr size_t kSmallString = 15;
constexpr size_t kChargeStep = 256 * 1024;
constexpr size_t kMaxSkippedNames = 16;
constexpr size_t kMaxSkippedNameBytes = 64;

size_t StringBytes(size_t length) { return length > kSmallString ? length + 33 : 0; }

// A SAX handler that builds the tree like nlohmann's own DOM parser, except
// that it skips the values of top-level fields the route does not read and
// charges what it builds to the memory lease. (nlohmann's callback parser
// cannot be used: it scans the parent for discarded values after every
// nested container, quadratic in the size of an array of objects.)
class TreeBuilder {
 public:
  using json = nlohmann::json;

  explicit TreeBuilder(const JsonBodyOptions& options) : options_(options) {}

  bool null() { return Add(json(nullptr)); }
  bool boolean(bool v) { return Add(json(v)); }
  bool number_integer(json::number_integer_t v) { return Add(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Add(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return Add(json(v)); }
  bool string(json::string_t& v) {
    if (Skipping()) return true;
    return Charge(StringBytes(v.size())) && Add(json(std::move(v)));
  }
  bool binary(json::binary_t& v) { return Add(json(std::move(v))); }
  bool start_object(std::size_t) { return Open(json::value_t::object); }
  bool start_array(std::size_t) { return Open(json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(json::string_t& k) {
    if (skip_depth_ > 0) return true;
    if (stack_.size() == 1 && !Wanted(k)) {
      NoteSkipped(k);
      skip_next_ = true;
      return true;
    }
    if (!Charge(kMemberBytes + StringBytes(k.size()))) return false;
    key_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    status_ = Status::InvalidArgument("the request body is not valid JSON (at byte " + std::to_string(position) +
                                      "): " + std::string(e.what()));
    return false;
  }

  // The memory lease's or the parser's error, once a parse returned false.
  const Status& status() const { return status_; }
  json& root() { return root_; }

  // Charges what is still pending; false (status() set) when refused.
  bool Flush() {
    if (options_.memory == nullptr || pending_ == 0) return true;
    Status charged = options_.memory->Grow(pending_, "the JSON of this request");
    pending_ = 0;
    if (charged.ok()) return true;
    status_ = std::move(charged);
    return false;
  }

 private:
  bool Skipping() {
    if (skip_depth_ > 0) return true;
    if (!skip_next_) return false;
    skip_next_ = false;  // a skipped field's scalar value
    return true;
  }

  bool Open(json::value_t type) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (skip_next_) {
      skip_next_ = false;
      skip_depth_ = 1;
      return true;
    }
    stack_.push_back(Place(json(type)));
    return true;
  }

  bool Close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    stack_.pop_back();
    return Charge(kValueBytes + kContainerBytes);
  }

  bool Add(json value) {
    if (Skipping()) return true;
    Place(std::move(value));
    return Charge(kValueBytes);
  }

  // Stores `value` in the open container (or as the root); returns it. A
  // container's address stays valid while it is open: only its own
  // children are added until it closes.
  json* Place(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];  // a repeated key keeps its last value, as nlohmann's parser does
    slot = std::move(value);
    return &slot;
  }

  bool Wanted(const std::string& key) const {
    if (options_.fields.empty()) return true;
    for (std::string_view field : options_.fields) {
      if (field == key) return true;
    }
    return false;
  }

  void NoteSkipped(const std::string& key) {
    if (options_.skipped == nullptr || options_.skipped->size() >= kMaxSkippedNames) return;
    options_.skipped->push_back(key.substr(0, kMaxSkippedNameBytes));
  }

  bool Charge(size_t bytes) {
    pending_ += bytes;
    return pending_ < kChargeStep || Flush();
  }

  const JsonBodyOptions& options_;
  json root_;
  std::vector<json*> stack_;  // open containers, outermost first
  std::string key_;           // the key of the next value in an open object
  bool skip_next_ = false;    // the next value belongs to a skipped field
  size_t skip_depth_ = 0;     // open containers inside a skipped value
  size_t pending_ = 0;
  Status status_;
};

}  // namespace

Result<nlohmann::json> ParseJsonBody(std::string_view body, const JsonBodyOptions& options) {
  size_t first = 0;
  while (first < body.size() && (body[first] == ' ' || body[first] == '\t' || body[first] == '\r' ||
                                 body[first] == '\n')) {
    ++first;
  }
  if (first == body.size()) {
    return Status::InvalidArgument("the request body is empty; send a JSON object with Content-Type: application/json");
  }
  if (const size_t at = FindJsonNestingDeeperThan(body, kMaxJsonDepth); at != std::string_view::npos) {
    return Status::InvalidArgument("the request body nests arrays/objects deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels (at byte " + std::to_string(at) + ")");
  }
  try {
    if (options.memory == nullptr && options.fields.empty()) {
      return nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/true,
                                   /*ignore_comments=*/false);
    }
    TreeBuilder builder(options);
    if (!nlohmann::json::sax_parse(body.begin(), body.end(), &builder, nlohmann::json::input_format_t::json,
                                   /*strict=*/true, /*ignore_comments=*/false) ||
        !builder.Flush()) {
      return builder.status();
    }
    return std::move(builder.root());
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
