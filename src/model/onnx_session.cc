#include "model/onnx_session.h"

#include <onnxruntime_cxx_api.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>

#include "base/content_hash_memo.h"
#include "model/ort_cache.h"
#include "model/onnx_runtime_info.h"

namespace imi::model {
namespace {

enum class InputRole { kInputIds, kAttentionMask, kTokenTypeIds, kPositionIds };

Ort::Env& Environment() {
  // One process-wide environment; ORT requires it to outlive every session.
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "imi");
  return env;
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

const char* Architecture() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "other";
#endif
}

Ort::SessionOptions BaseOptions(int threads, GraphOptimizationLevel level) {
  Ort::SessionOptions so;
  so.SetGraphOptimizationLevel(level);
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  return so;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

struct OnnxSession::Impl {
  MappedFile cached_graph;  // must outlive the session: its weights point into it
  std::unique_ptr<Ort::Session> session;
  SessionLoadInfo load;
  std::vector<std::string> input_names;
  std::vector<InputRole> roles;
  std::vector<ONNXTensorElementDataType> input_types;
  std::vector<OutputInfo> outputs;
  std::string output_name;
  bool output_is_pooled = false;
  int64_t hidden = 0;
  int threads = 0;
};

OnnxSession::OnnxSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// Session from the cached ORT-format graph when one exists for this model
// content, ONNX Runtime version and architecture. On a miss, "auto" builds the
// session from the .onnx file and writes nothing (saving costs several times
// the session's time and memory: docs/deploy.md); "write" and a directory
// save the optimised graph for the next start (to a temporary name, renamed,
// so a reader never sees half a file). Throws what ORT throws for the .onnx
// file itself; cache problems become notes.
void OnnxSession::OpenWithCache(const OnnxSessionOptions& options, Impl* impl) {
  namespace fs = std::filesystem;
  SessionLoadInfo& load = impl->load;
  std::error_code ec;
  const bool named_dir = options.cache != "auto" && options.cache != "write";
  std::vector<std::string> search_dirs;
  std::string write_dir;
  if (named_dir) {
    fs::create_directories(options.cache, ec);
    if (fs::is_directory(options.cache, ec)) {
      search_dirs.push_back(options.cache);
      write_dir = options.cache;
    } else {
      load.cache_note = "cache directory " + options.cache + " cannot be created";
    }
  } else {
    search_dirs = OrtCacheSearchDirs(options.model_path);
    if (options.cache == "write") {
      write_dir = DefaultOrtCacheDir(options.model_path);
      if (write_dir.empty()) load.cache_note = "no writable cache directory (set IMI_CACHE_DIR)";
    }
  }
  if (fs::exists(options.model_path + "_data", ec) || fs::exists(options.model_path + ".data", ec)) {
    load.cache_note = "weights in an external data file: not cached (ORT format holds at most 2 GB)";
    search_dirs.clear();
    write_dir.clear();
  }
  std::string name;
  FileContentHash model_hash;
  if (!search_dirs.empty() || !write_dir.empty()) {
    // The model's hash comes from a memo beside the cached graph when the
    // model file is unchanged (size and mtime), so a start does not read it.
    const auto hash_start = std::chrono::steady_clock::now();
    std::vector<std::string> memo_dirs = search_dirs;
    if (!write_dir.empty()) memo_dirs.push_back(write_dir);
    Result<FileContentHash> model = HashFileWithMemo(options.model_path, memo_dirs);
    if (model.ok()) {
      model_hash = *model;
      name = OrtCacheFileName(fs::path(options.model_path).filename().string(), model->hash, model->size,
                              OnnxRuntimeVersion(), Architecture());
    }
    load.hash_ms = MsSince(hash_start);
  }
  for (const std::string& dir : name.empty() ? std::vector<std::string>() : search_dirs) {
    const std::string file = (fs::path(dir) / name).string();
    if (!fs::is_regular_file(file, ec)) continue;
    Result<MappedFile> graph = MappedFile::Open(file);
    if (!graph.ok()) continue;
    try {
      auto so = BaseOptions(impl->threads, GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
      so.AddConfigEntry("session.load_model_format", "ORT");
      so.AddConfigEntry("session.use_ort_model_bytes_directly", "1");
      so.AddConfigEntry("session.use_ort_model_bytes_for_initializers", "1");
      impl->session = std::make_unique<Ort::Session>(Environment(), graph->data(), graph->size(), so);
      impl->cached_graph = std::move(graph).value();
      load.cache_file = file;
      load.cache_hit = true;
      WriteHashMemo(write_dir, model_hash);  // a cache from before memos: the next start skips the hash
      return;
    } catch (const std::exception& e) {
      load.cache_note = std::string("cached graph ") + file + " unusable: " + e.what();
      if (dir == write_dir) fs::remove(file, ec);  // rebuilt below
    }
  }
  if (name.empty() || write_dir.empty()) {
    if (load.cache_note.empty() && options.cache == "auto") {
      load.cache_note = "no cached graph for this model (--ort-cache write creates one)";
    }
    auto plain = BaseOptions(impl->threads, GraphOptimizationLevel::ORT_ENABLE_ALL);
    impl->session = std::make_unique<Ort::Session>(Environment(), options.model_path.c_str(), plain);
    return;
  }
  const std::string file = (fs::path(write_dir) / name).string();
  const std::string temporary = file + ".tmp" + std::to_string(::getpid());
  auto so = BaseOptions(impl->threads, GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
  so.SetOptimizedModelFilePath(temporary.c_str());
  so.AddConfigEntry("session.save_model_format", "ORT");
  try {
    impl->session = std::make_unique<Ort::Session>(Environment(), options.model_path.c_str(), so);
  } catch (const Ort::Exception&) {
    // Saving may be what failed (e.g. a full disk): try once without it.
    fs::remove(temporary, ec);
    load.cache_note = "could not save the optimised graph to " + write_dir;
    auto plain = BaseOptions(impl->threads, GraphOptimizationLevel::ORT_ENABLE_ALL);
    impl->session = std::make_unique<Ort::Session>(Environment(), options.model_path.c_str(), plain);
    return;
  }
  fs::rename(temporary, file, ec);
  if (ec) {
    fs::remove(temporary, ec);
    load.cache_note = "could not write " + file;
    return;
  }
  load.cache_file = file;
  WriteHashMemo(write_dir, model_hash);
}
OnnxSession::~OnnxSession() = default;

Result<std::unique_ptr<OnnxSession>> OnnxSession::Open(const OnnxSessionOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.model_path, ec)) {
    return Status::NotFound("no ONNX file at " + options.model_path);
  }
  auto impl = std::make_unique<Impl>();
  impl->threads = options.intra_op_threads > 0
                      ? options.intra_op_threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto session_start = std::chrono::steady_clock::now();
  try {
    if (options.cache == "off" || options.cache.empty()) {
      auto so = BaseOptions(impl->threads, GraphOptimizationLevel::ORT_ENABLE_ALL);
      impl->session = std::make_unique<Ort::Session>(Environment(), options.model_path.c_str(), so);
    } else {
      OpenWithCache(options, impl.get());
    }
  } catch (const Ort::Exception& e) {
    return Status::DataLoss("ONNX Runtime cannot load " + options.model_path + ": " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal("loading " + options.model_path + ": " + e.what());
  }
  impl->load.session_ms = MsSince(session_start) - impl->load.hash_ms;

  try {
    Ort::AllocatorWithDefaultOptions alloc;
    Ort::Session& s = *impl->session;
    for (size_t i = 0; i < s.GetInputCount(); ++i) {
      std::string name = s.GetInputNameAllocated(i, alloc).get();
      InputRole role;
      if (name == "input_ids") {
        role = InputRole::kInputIds;
      } else if (name == "attention_mask") {
        role = InputRole::kAttentionMask;
      } else if (name == "token_type_ids") {
        role = InputRole::kTokenTypeIds;
      } else if (name == "position_ids") {
        role = InputRole::kPositionIds;
      } else {
        return Status::InvalidArgument("model input '" + name + "' of " + options.model_path +
                                       " is not one imi can feed (input_ids, attention_mask, "
                                       "token_type_ids, position_ids)");
      }
      auto type = s.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetElementType();
      if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32) {
        return Status::Unsupported("model input '" + name + "' is not int64 or int32");
      }
      impl->input_names.push_back(std::move(name));
      impl->roles.push_back(role);
      impl->input_types.push_back(type);
    }
    if (std::find(impl->roles.begin(), impl->roles.end(), InputRole::kInputIds) == impl->roles.end()) {
      return Status::InvalidArgument("model " + options.model_path + " has no input_ids input (inputs: " +
                                     JoinNames(impl->input_names) + ")");
    }
    std::vector<std::string> outputs;
    for (size_t i = 0; i < s.GetOutputCount(); ++i) {
      outputs.push_back(s.GetOutputNameAllocated(i, alloc).get());
      Ort::TypeInfo type_info = s.GetOutputTypeInfo(i);
      if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) continue;
      auto tensor = type_info.GetTensorTypeAndShapeInfo();
      if (tensor.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) continue;
      const std::vector<int64_t> shape = tensor.GetShape();
      impl->outputs.push_back({outputs.back(), shape.size(), shape.empty() || shape.back() < 0 ? 0 : shape.back()});
    }
    size_t chosen = outputs.size();
    if (!options.output_name.empty()) {
      chosen = std::find(outputs.begin(), outputs.end(), options.output_name) - outputs.begin();
      if (chosen == outputs.size()) {
        return Status::NotFound("model has no output '" + options.output_name + "' (outputs: " +
                                JoinNames(outputs) + ")");
      }
    } else {
      for (const char* want : {"last_hidden_state", "token_embeddings", "sentence_embedding", "dense_vecs",
                               "dense_embeddings"}) {
        chosen = std::find(outputs.begin(), outputs.end(), want) - outputs.begin();
        if (chosen < outputs.size()) break;
      }
      if (chosen == outputs.size()) {
        if (outputs.size() != 1) {
          return Status::InvalidArgument("cannot tell which model output holds embeddings (" +
                                         JoinNames(outputs) + "); name one with --onnx-output");
        }
        chosen = 0;
      }
    }
    impl->output_name = outputs[chosen];
    // The shape info is a view into the TypeInfo, which must stay alive.
    Ort::TypeInfo type_info = s.GetOutputTypeInfo(chosen);
    auto info = type_info.GetTensorTypeAndShapeInfo();
    if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      return Status::Unsupported("model output '" + impl->output_name + "' is not float32");
    }
    const std::vector<int64_t> shape = info.GetShape();
    if (shape.size() != 2 && shape.size() != 3) {
      return Status::Unsupported("model output '" + impl->output_name + "' has rank " +
                                 std::to_string(shape.size()) + "; expected 2 or 3");
    }
    impl->output_is_pooled = shape.size() == 2;
    impl->hidden = shape.back() > 0 ? shape.back() : 0;
  } catch (const Ort::Exception& e) {
    return Status::Internal(std::string("inspecting the model: ") + e.what());
  }
  return std::unique_ptr<OnnxSession>(new OnnxSession(std::move(impl)));
}

Result<SessionOutput> OnnxSession::Run(const SessionInputs& in) const {
  IMI_ASSIGN_OR_RETURN(std::vector<SessionOutput> out, RunOutputs(in, {impl_->output_name}));
  return std::move(out[0]);
}

Result<std::vector<SessionOutput>> OnnxSession::RunOutputs(const SessionInputs& in,
                                                           const std::vector<std::string>& names) const {
  const size_t n = static_cast<size_t>(in.batch * in.sequence);
  if (in.batch <= 0 || in.sequence <= 0 || in.input_ids.size() != n || in.attention_mask.size() != n) {
    return Status::InvalidArgument("batch inputs do not match their shape");
  }
  std::vector<const char*> output_names;
  for (const std::string& name : names) {
    auto it = std::find_if(impl_->outputs.begin(), impl_->outputs.end(),
                           [&](const OutputInfo& o) { return o.name == name; });
    if (it == impl_->outputs.end()) return Status::NotFound("model has no float output '" + name + "'");
    output_names.push_back(it->name.c_str());
  }
  const std::array<int64_t, 2> dims = {in.batch, in.sequence};
  std::vector<int64_t> positions;
  std::vector<std::vector<int32_t>> narrowed;  // int32 copies for models with int32 inputs
  narrowed.reserve(impl_->roles.size());
  try {
    Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<Ort::Value> values;
    std::vector<const char*> input_names;
    for (size_t i = 0; i < impl_->roles.size(); ++i) {
      const std::vector<int64_t>* source = nullptr;
      switch (impl_->roles[i]) {
        case InputRole::kInputIds:
          source = &in.input_ids;
          break;
        case InputRole::kAttentionMask:
          source = &in.attention_mask;
          break;
        case InputRole::kTokenTypeIds:
          if (in.token_type_ids.size() != n) {
            return Status::InvalidArgument("token_type_ids do not match the batch shape");
          }
          source = &in.token_type_ids;
          break;
        case InputRole::kPositionIds:
          positions.resize(n);
          for (int64_t b = 0; b < in.batch; ++b) {
            for (int64_t j = 0; j < in.sequence; ++j) positions[b * in.sequence + j] = j;
          }
          source = &positions;
          break;
      }
      // ORT does not write to inputs; the API takes non-const pointers.
      if (impl_->input_types[i] == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32) {
        narrowed.emplace_back(source->begin(), source->end());
        values.push_back(Ort::Value::CreateTensor<int32_t>(mem, narrowed.back().data(), n,
                                                           dims.data(), dims.size()));
      } else {
        values.push_back(Ort::Value::CreateTensor<int64_t>(
            mem, const_cast<int64_t*>(source->data()), n, dims.data(), dims.size()));
      }
      input_names.push_back(impl_->input_names[i].c_str());
    }
    auto results = impl_->session->Run(Ort::RunOptions{nullptr}, input_names.data(), values.data(),
                                       values.size(), output_names.data(), output_names.size());
    std::vector<SessionOutput> out(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      auto info = results[i].GetTensorTypeAndShapeInfo();
      out[i].shape = info.GetShape();
      const float* data = results[i].GetTensorData<float>();
      out[i].data.assign(data, data + info.GetElementCount());
    }
    return out;
  } catch (const Ort::Exception& e) {
    return Status::Internal(std::string("ONNX Runtime run failed: ") + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("ONNX Runtime run failed: ") + e.what());
  }
}

const std::vector<std::string>& OnnxSession::input_names() const { return impl_->input_names; }
const std::vector<OutputInfo>& OnnxSession::outputs() const { return impl_->outputs; }
const std::string& OnnxSession::output_name() const { return impl_->output_name; }
bool OnnxSession::output_is_pooled() const { return impl_->output_is_pooled; }
int64_t OnnxSession::output_hidden_size() const { return impl_->hidden; }
int OnnxSession::intra_op_threads() const { return impl_->threads; }
const SessionLoadInfo& OnnxSession::load_info() const { return impl_->load; }

}  // namespace imi::model
