#include "store/embedded/hnsw_index.h"

#include <hnswlib/hnswlib.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <filesystem>

#include "base/file.h"
#include "store/embedded/crc32c.h"
#include "store/embedded/distance.h"

namespace imi::store {

namespace {

constexpr char kMagic[8] = {'I', 'M', 'I', 'H', 'N', 'S', 'W', '\0'};
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kHeaderSize = 96;
constexpr size_t kStoreIdBytes = 16;

// imi's own hnswlib spaces: the kernels in distance.h pick AVX2+FMA at run
// time, where hnswlib's spaces fix their SIMD level at compile time. hnswlib
// has no L1 space at all.
enum class SpaceKind { kInnerProduct, kL2, kL1 };

class Space : public hnswlib::SpaceInterface<float> {
 public:
  Space(SpaceKind kind, size_t dim) : kind_(kind), dim_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override {
    switch (kind_) {
      case SpaceKind::kInnerProduct: return &InnerProductDistance;
      case SpaceKind::kL2: return &L2Distance;
      case SpaceKind::kL1: return &L1Distance;
    }
    return &L2Distance;
  }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static size_t Dim(const void* param) { return *static_cast<const size_t*>(param); }
  static float InnerProductDistance(const void* a, const void* b, const void* param) {
    return 1.0f - DotProduct(static_cast<const float*>(a), static_cast<const float*>(b), Dim(param));
  }
  static float L2Distance(const void* a, const void* b, const void* param) {
    return SquaredL2(static_cast<const float*>(a), static_cast<const float*>(b), Dim(param));
  }
  static float L1Distance(const void* a, const void* b, const void* param) {
    return ManhattanL1(static_cast<const float*>(a), static_cast<const float*>(b), Dim(param));
  }
  SpaceKind kind_;
  size_t dim_;
};

std::unique_ptr<hnswlib::SpaceInterface<float>> MakeSpace(Metric metric, size_t dim) {
  switch (metric) {
    case Metric::kL2: return std::make_unique<Space>(SpaceKind::kL2, dim);
    case Metric::kL1: return std::make_unique<Space>(SpaceKind::kL1, dim);
    case Metric::kCosine:
    case Metric::kIp: return std::make_unique<Space>(SpaceKind::kInnerProduct, dim);
  }
  return std::make_unique<Space>(SpaceKind::kL2, dim);
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}
// A scratch file next to `path` that no other thread or process uses: two
// processes may save or load the same collection's index at once.
std::string ScratchPath(const std::string& path, const char* what) {
  static std::atomic<uint64_t> counter{0};
  return path + "." + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + what;
}

uint64_t GetU64(const std::string& s, size_t off) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

}  // namespace

struct HnswIndex::Impl {
  Params params;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  std::vector<float> scratch;  // normalised copy for cosine adds

  const float* Prepare(const float* v, std::vector<float>* buffer) const {
    if (params.metric != Metric::kCosine) return v;
    buffer->assign(v, v + params.dimension);
    double norm = 0;
    for (float x : *buffer) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0)
      for (float& x : *buffer) x = static_cast<float>(x / norm);
    return buffer->data();
  }
};

HnswIndex::HnswIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HnswIndex::~HnswIndex() = default;

Result<std::unique_ptr<HnswIndex>> HnswIndex::Create(const Params& params, size_t capacity) {
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  impl->space = MakeSpace(params.metric, static_cast<size_t>(params.dimension));
  try {
    impl->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        impl->space.get(), std::max<size_t>(capacity, 16), static_cast<size_t>(params.m),
        static_cast<size_t>(params.ef_construction));
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("cannot allocate an HNSW index: ") + e.what());
  }
  impl->graph->setEf(1);
  return std::make_unique<HnswIndex>(std::move(impl));
}

Status HnswIndex::Add(uint64_t label, const float* vector) {
  hnswlib::HierarchicalNSW<float>& g = *impl_->graph;
  try {
    if (g.cur_element_count >= g.max_elements_) g.resizeIndex(std::max<size_t>(g.max_elements_ * 2, 1024));
    g.addPoint(impl_->Prepare(vector, &impl_->scratch), static_cast<hnswlib::labeltype>(label));
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("cannot add to the HNSW index: ") + e.what());
  }
  return Status::Ok();
}

Status HnswIndex::AddBatch(const std::vector<uint64_t>& labels, const std::vector<float>& vectors, int threads) {
  hnswlib::HierarchicalNSW<float>& g = *impl_->graph;
  const size_t dim = static_cast<size_t>(impl_->params.dimension);
  const size_t n = labels.size();
  if (vectors.size() != n * dim) return Status::Internal("AddBatch: vectors do not match labels");
  try {
    if (g.cur_element_count + n > g.max_elements_) g.resizeIndex(g.cur_element_count + n);
  } catch (const std::exception& e) {
    return Status::ResourceExhausted(std::string("cannot grow the HNSW index: ") + e.what());
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;
  auto work = [&] {
    std::vector<float> buffer;
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= n) break;
      try {
        g.addPoint(impl_->Prepare(&vectors[i * dim], &buffer), static_cast<hnswlib::labeltype>(labels[i]));
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mu);
        error = e.what();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failed) return Status::ResourceExhausted("cannot add to the HNSW index: " + error);
  return Status::Ok();
}

void HnswIndex::MarkDeleted(uint64_t label) {
  try {
    impl_->graph->markDelete(static_cast<hnswlib::labeltype>(label));
  } catch (const std::exception&) {
    // Unknown label: nothing to exclude.
  }
}

Result<std::vector<std::pair<uint64_t, float>>> HnswIndex::Search(const float* query, size_t count,
                                                                 size_t ef) const {
  std::vector<float> buffer;
  const float* q = impl_->Prepare(query, &buffer);
  std::vector<std::pair<uint64_t, float>> out;
  try {
    // setEf is not thread-safe, so ef stays 1 and the breadth comes from the
    // requested count (hnswlib explores max(ef, count)); the caller trims.
    auto heap = impl_->graph->searchKnn(q, std::max(count, ef));
    out.reserve(heap.size());
    while (!heap.empty()) {
      out.emplace_back(static_cast<uint64_t>(heap.top().second), heap.top().first);
      heap.pop();
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("HNSW search failed: ") + e.what());
  }
  std::reverse(out.begin(), out.end());
  if (out.size() > count) out.resize(count);
  return out;
}

size_t HnswIndex::size() const { return impl_->graph->cur_element_count - impl_->graph->num_deleted_; }

std::vector<uint64_t> HnswIndex::Labels() const {
  const hnswlib::HierarchicalNSW<float>& g = *impl_->graph;
  std::vector<uint64_t> labels;
  labels.reserve(size());
  for (const auto& [label, internal] : g.label_lookup_)
    if (!g.isMarkedDeleted(internal)) labels.push_back(static_cast<uint64_t>(label));
  return labels;
}

Status HnswIndex::Save(const std::string& path, const IndexStamp& stamp) const {
  if (stamp.store_id.size() != kStoreIdBytes) return Status::Internal("index stamp without a 16-byte store id");
  std::string tmp = ScratchPath(path, ".hnswlib.tmp");
  try {
    impl_->graph->saveIndex(tmp);
  } catch (const std::exception& e) {
    ::unlink(tmp.c_str());
    return Status::IoError(std::string("cannot write HNSW index: ") + e.what());
  }
  Result<std::string> image = ReadFileToString(tmp);
  ::unlink(tmp.c_str());
  if (!image.ok()) return image.status();
  // hnswlib writes through an unchecked std::ofstream: a full disk leaves a
  // short file and no error. Its size tells.
  const hnswlib::HierarchicalNSW<float>& g = *impl_->graph;
  size_t expected = sizeof(g.offsetLevel0_) + sizeof(g.max_elements_) + sizeof(g.cur_element_count) +
                    sizeof(g.size_data_per_element_) + sizeof(g.label_offset_) + sizeof(g.offsetData_) +
                    sizeof(g.maxlevel_) + sizeof(g.enterpoint_node_) + sizeof(g.maxM_) + sizeof(g.maxM0_) +
                    sizeof(g.M_) + sizeof(g.mult_) + sizeof(g.ef_construction_) +
                    g.cur_element_count * g.size_data_per_element_;
  for (size_t i = 0; i < g.cur_element_count; ++i)
    expected += sizeof(unsigned int) + (g.element_levels_[i] > 0 ? g.size_links_per_element_ * g.element_levels_[i] : 0);
  if (image->size() != expected)
    return Status::IoError("cannot write HNSW index " + path + ": " + std::to_string(image->size()) + " of " +
                           std::to_string(expected) + " bytes were written (No space left on device?)");
  std::string payload;
  payload.reserve(stamp.excluded.size() * 8 + image->size());
  for (int64_t id : stamp.excluded) PutU64(&payload, static_cast<uint64_t>(id));
  payload += *image;
  image->clear();
  image->shrink_to_fit();
  std::string out(kMagic, sizeof(kMagic));
  PutU32(&out, kFormatVersion);
  PutU32(&out, static_cast<uint32_t>(impl_->params.metric));
  PutU32(&out, static_cast<uint32_t>(impl_->params.dimension));
  PutU32(&out, 0);
  out += stamp.store_id;
  PutU64(&out, static_cast<uint64_t>(stamp.collection_id));
  PutU64(&out, stamp.data_version);
  PutU64(&out, size());
  PutU64(&out, static_cast<uint64_t>(stamp.max_chunk_id));
  PutU64(&out, stamp.excluded.size());
  PutU64(&out, payload.size());
  PutU32(&out, Crc32c(payload.data(), payload.size()));
  PutU32(&out, Crc32c(out.data(), out.size()));
  out += payload;
  payload.clear();
  payload.shrink_to_fit();
  return WriteFileAtomically(path, out);
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Load(const std::string& path, const Params& params,
                                                   IndexStamp* stamp) {
  IMI_ASSIGN_OR_RETURN(std::string file, ReadFileToString(path));
  auto corrupt = [&](const std::string& why) { return Status::DataLoss("HNSW index " + path + " " + why); };
  if (file.size() < 12 || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) return corrupt("has no imi header");
  if (GetU32(file, 8) != kFormatVersion)
    return corrupt("has format version " + std::to_string(GetU32(file, 8)) + ", not " + std::to_string(kFormatVersion));
  if (file.size() < kHeaderSize) return corrupt("is truncated");
  if (GetU32(file, 92) != Crc32c(file.data(), 92)) return corrupt("has a damaged header");
  if (GetU32(file, 12) != static_cast<uint32_t>(params.metric) ||
      GetU32(file, 16) != static_cast<uint32_t>(params.dimension))
    return corrupt("was built for another metric or dimension");
  const uint64_t payload_size = GetU64(file, 80);
  if (payload_size != file.size() - kHeaderSize) return corrupt("is truncated");
  if (GetU32(file, 88) != Crc32c(file.data() + kHeaderSize, payload_size)) return corrupt("fails its checksum");
  const uint64_t excluded = GetU64(file, 72);
  if (excluded > payload_size / 8) return corrupt("has a damaged header");
  IndexStamp read;
  read.store_id = file.substr(24, kStoreIdBytes);
  read.collection_id = static_cast<int64_t>(GetU64(file, 40));
  read.data_version = GetU64(file, 48);
  const uint64_t live = GetU64(file, 56);
  read.max_chunk_id = static_cast<int64_t>(GetU64(file, 64));
  for (uint64_t i = 0; i < excluded; ++i) read.excluded.push_back(static_cast<int64_t>(GetU64(file, kHeaderSize + 8 * i)));
  const size_t image_at = kHeaderSize + static_cast<size_t>(excluded) * 8;

  std::string tmp = ScratchPath(path, ".load.tmp");
  Status written = WriteFileAtomically(tmp, file.substr(image_at));
  file.clear();
  file.shrink_to_fit();
  IMI_RETURN_IF_ERROR(written);
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  impl->space = MakeSpace(params.metric, static_cast<size_t>(params.dimension));
  try {
    impl->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(impl->space.get(), tmp);
  } catch (const std::exception& e) {
    ::unlink(tmp.c_str());
    return corrupt(std::string("cannot be read: ") + e.what());
  }
  ::unlink(tmp.c_str());
  impl->graph->setEf(1);
  // hnswlib 0.6's loading constructor leaves num_deleted_ uninitialised
  // before adding the deleted elements it finds: count them here.
  size_t deleted = 0;
  for (size_t i = 0; i < impl->graph->cur_element_count; ++i)
    if (impl->graph->isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++deleted;
  impl->graph->num_deleted_ = deleted;
  auto index = std::make_unique<HnswIndex>(std::move(impl));
  if (index->size() != live)
    return corrupt("holds " + std::to_string(index->size()) + " live elements, its header says " + std::to_string(live));
  *stamp = std::move(read);
  return index;
}

}  // namespace imi::store
