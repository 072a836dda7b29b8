#include "convert/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace imi::convert {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string ShapeText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

Result<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& dir) {
  std::unique_ptr<Checkpoint> c(new Checkpoint());
  c->dir_ = dir;
  const fs::path root(dir);
  std::error_code ec;
  const fs::path index = root / "model.safetensors.index.json";
  const fs::path single = root / "model.safetensors";
  if (fs::is_regular_file(index, ec)) {
    IMI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(index.string()));
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      return Status::DataLoss(index.string() + " has no \"weight_map\" object");
    }
    std::map<std::string, std::vector<std::string>> by_file;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string()) return Status::DataLoss(index.string() + ": weight_map value of '" + it.key() + "' is not a file name");
      const std::string file = it.value().get<std::string>();
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        return Status::DataLoss(index.string() + ": shard '" + file + "' must be a file name in the same directory");
      }
      by_file[file].push_back(it.key());
    }
    if (by_file.empty()) return Status::DataLoss(index.string() + " lists no tensors");
    for (const auto& [file, names] : by_file) {
      auto f = SafetensorsFile::Open((root / file).string());
      if (!f.ok()) return f.status().WithContext("shard named by " + index.string());
      for (const auto& n : names) {
        if ((*f)->Find(n) == nullptr) {
          return Status::DataLoss(index.string() + " puts tensor '" + n + "' in " + file + ", which does not have it");
        }
      }
      c->files_.push_back(std::move(f).value());
    }
  } else if (fs::is_regular_file(single, ec)) {
    IMI_ASSIGN_OR_RETURN(auto f, SafetensorsFile::Open(single.string()));
    c->files_.push_back(std::move(f));
  } else {
    return Status::NotFound("no model.safetensors or model.safetensors.index.json in " + dir +
                            " (imi converts safetensors weights only; pytorch_model.bin is not read)");
  }
  // A name in two shards would make the weights ambiguous.
  std::set<std::string> names;
  for (const auto& f : c->files_) {
    for (const auto& [name, t] : f->tensors()) {
      if (!names.insert(name).second) return Status::DataLoss("tensor '" + name + "' appears in two shards of " + dir);
    }
  }
  return c;
}

const StTensor* Checkpoint::Lookup(const std::string& full_name) const {
  for (const auto& f : files_) {
    if (const StTensor* t = f->Find(full_name)) return t;
  }
  return nullptr;
}

Status Checkpoint::ResolvePrefix(const std::vector<std::string>& prefixes, const std::string& probe) {
  std::string tried;
  for (const auto& p : prefixes) {
    if (Lookup(p + probe) != nullptr) {
      prefix_ = p;
      return Status::Ok();
    }
    tried += (tried.empty() ? "'" : ", '") + p + probe + "'";
  }
  return Status::NotFound("missing tensor: none of " + tried + " is in the safetensors files of " + dir_);
}

bool Checkpoint::Has(const std::string& name) const { return Lookup(prefix_ + name) != nullptr; }

Result<Tensor> Checkpoint::Float(const std::string& name, const std::vector<int64_t>& dims) const {
  const StTensor* t = Lookup(prefix_ + name);
  if (t == nullptr) return Status::NotFound("missing tensor '" + prefix_ + name + "' in " + dir_);
  if (t->shape != dims) {
    return Status::InvalidArgument("tensor '" + prefix_ + name + "' has shape " + ShapeText(t->shape) +
                                   " but config.json implies " + ShapeText(dims));
  }
  IMI_ASSIGN_OR_RETURN(std::vector<float> values, ToFloat32(*t));
  return Tensor::Floats(dims, values);
}

Result<Tensor> Checkpoint::LinearWeight(const std::string& name, int64_t out, int64_t in) const {
  IMI_ASSIGN_OR_RETURN(Tensor w, Float(name, {out, in}));
  Tensor t = Tensor::Zeros(DType::kFloat, {in, out});
  const float* src = w.floats();
  float* dst = t.floats();
  // Blocked transpose: both sides stay in cache for large matrices.
  constexpr int64_t kBlock = 64;
  for (int64_t o0 = 0; o0 < out; o0 += kBlock) {
    for (int64_t i0 = 0; i0 < in; i0 += kBlock) {
      for (int64_t o = o0; o < std::min(out, o0 + kBlock); ++o) {
        for (int64_t i = i0; i < std::min(in, i0 + kBlock); ++i) dst[i * out + o] = src[o * in + i];
      }
    }
  }
  return t;
}

std::vector<std::string> Checkpoint::Names() const {
  std::vector<std::string> out;
  for (const auto& f : files_) {
    for (const auto& [name, t] : f->tensors()) out.push_back(name);
  }
  return out;
}

std::vector<std::string> Checkpoint::Files() const {
  std::vector<std::string> out;
  for (const auto& f : files_) out.push_back(fs::path(f->path()).filename().string());
  return out;
}

}  // namespace imi::convert
