#include "hub/manifest.h"

#include <nlohmann/json.hpp>

namespace imi::hub {
namespace {
constexpr char kFormat[] = "imi-pull-manifest";
}  // namespace

const ManifestFile* Manifest::Find(const std::string& path) const {
  for (const auto& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string ManifestToJson(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kManifestVersion;
  j["repo"] = m.repo;
  j["revision"] = m.revision;
  j["requested_revision"] = m.requested_revision;
  j["endpoint"] = m.endpoint;
  j["variant"] = {{"file", m.variant}, {"reason", m.variant_reason}};
  j["onnx_files"] = m.onnx_files;
  if (!m.converted_from.empty()) j["converted_from"] = m.converted_from;
  j["missing_optional"] = m.missing_optional;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"etag", f.etag}});
  }
  j["files"] = std::move(files);
  return j.dump(2) + "\n";
}

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    return Status::DataLoss(source + " is not a valid imi pull manifest (" + what +
                            "); delete the directory and pull again");
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.value("format", "") != kFormat) return bad("format is not " + std::string(kFormat));
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kManifestVersion) {
    return bad("version is not " + std::to_string(kManifestVersion));
  }
  Manifest m;
  auto text_field = [&](const nlohmann::json& obj, const char* key, std::string* out) {
    if (!obj.contains(key) || !obj[key].is_string()) return false;
    *out = obj[key].get<std::string>();
    return true;
  };
  if (!text_field(j, "repo", &m.repo) || !text_field(j, "revision", &m.revision)) return bad("no repo or revision");
  text_field(j, "requested_revision", &m.requested_revision);
  text_field(j, "endpoint", &m.endpoint);
  if (!j.contains("variant") || !j["variant"].is_object() || !text_field(j["variant"], "file", &m.variant)) {
    return bad("no variant.file");
  }
  text_field(j["variant"], "reason", &m.variant_reason);
  auto string_list = [&](const char* key, std::vector<std::string>* out) {
    if (!j.contains(key) || !j[key].is_array()) return false;
    for (const auto& v : j[key]) {
      if (!v.is_string()) return false;
      out->push_back(v.get<std::string>());
    }
    return true;
  };
  if (!string_list("onnx_files", &m.onnx_files)) return bad("no onnx_files list");
  text_field(j, "converted_from", &m.converted_from);
  if (!string_list("missing_optional", &m.missing_optional)) return bad("no missing_optional list");
  if (!j.contains("files") || !j["files"].is_array()) return bad("no files list");
  for (const auto& f : j["files"]) {
    ManifestFile file;
    if (!f.is_object() || !text_field(f, "path", &file.path) || !text_field(f, "sha256", &file.sha256) ||
        !f.contains("size") || !f["size"].is_number_unsigned()) {
      return bad("a files entry lacks path, size or sha256");
    }
    file.size = f["size"].get<uint64_t>();
    text_field(f, "etag", &file.etag);
    m.files.push_back(std::move(file));
  }
  return m;
}

}  // namespace imi::hub
