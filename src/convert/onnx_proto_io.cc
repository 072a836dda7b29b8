// The ONNX protobuf adapter: the only file in imi that includes the code
// protoc generates from onnx.proto (Debian's libprotobuf). Everything else
// works on convert::Graph.
#include "convert/onnx_proto_io.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include "convert/onnx.pb.h"

namespace imi::convert {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kExternalMinBytes = 1024;
constexpr uint64_t kExternalAlign = 4096;

bool KnownDType(int32_t t) {
  switch (static_cast<DType>(t)) {
    case DType::kFloat:
    case DType::kUint8:
    case DType::kInt8:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kBool:
    case DType::kFloat16:
    case DType::kBFloat16:
      return true;
  }
  return false;
}

void FillValueInfo(const ValueInfo& v, onnx::ValueInfoProto* p) {
  p->set_name(v.name);
  auto* tensor_type = p->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(static_cast<int32_t>(v.dtype));
  auto* shape = tensor_type->mutable_shape();
  for (const auto& d : v.dims) {
    auto* dim = shape->add_dim();
    if (std::holds_alternative<int64_t>(d)) {
      dim->set_dim_value(std::get<int64_t>(d));
    } else {
      dim->set_dim_param(std::get<std::string>(d));
    }
  }
}

void FillTensorHeader(const std::string& name, const Tensor& t, onnx::TensorProto* p) {
  p->set_name(name);
  p->set_data_type(static_cast<int32_t>(t.dtype));
  for (int64_t d : t.dims) p->add_dims(d);
}

void FillAttribute(const Attribute& a, onnx::AttributeProto* p) {
  p->set_name(a.name);
  if (const auto* i = std::get_if<int64_t>(&a.value)) {
    p->set_type(onnx::AttributeProto::INT);
    p->set_i(*i);
  } else if (const auto* f = std::get_if<float>(&a.value)) {
    p->set_type(onnx::AttributeProto::FLOAT);
    p->set_f(*f);
  } else if (const auto* s = std::get_if<std::string>(&a.value)) {
    p->set_type(onnx::AttributeProto::STRING);
    p->set_s(*s);
  } else if (const auto* is = std::get_if<std::vector<int64_t>>(&a.value)) {
    p->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : *is) p->add_ints(v);
  } else if (const auto* fs = std::get_if<std::vector<float>>(&a.value)) {
    p->set_type(onnx::AttributeProto::FLOATS);
    for (float v : *fs) p->add_floats(v);
  } else if (const auto* t = std::get_if<Tensor>(&a.value)) {
    p->set_type(onnx::AttributeProto::TENSOR);
    FillTensorHeader("", *t, p->mutable_t());
    p->mutable_t()->set_raw_data(t->data.data(), t->data.size());
  }
}

// Decodes one TensorProto (inline or external) into a Tensor.
Result<Tensor> ReadTensor(const onnx::TensorProto& p, const fs::path& base_dir, bool allow_external) {
  const std::string what = "tensor '" + p.name() + "'";
  if (!KnownDType(p.data_type())) {
    return Status::Unsupported(what + " has element type " + std::to_string(p.data_type()) +
                               ", which imi does not read");
  }
  Tensor t;
  t.dtype = static_cast<DType>(p.data_type());
  int64_t count = 1;
  for (int64_t d : p.dims()) {
    if (d < 0 || (d > 0 && count > std::numeric_limits<int64_t>::max() / d / 8)) {
      return Status::DataLoss(what + " has an invalid shape");
    }
    t.dims.push_back(d);
    count *= d;
  }
  const uint64_t bytes = static_cast<uint64_t>(count) * DTypeSize(t.dtype);
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!allow_external) return Status::DataLoss(what + " refers to external data");
    std::string location;
    uint64_t offset = 0;
    int64_t length = -1;
    for (const auto& kv : p.external_data()) {
      try {
        if (kv.key() == "location") {
          location = kv.value();
        } else if (kv.key() == "offset") {
          offset = std::stoull(kv.value());
        } else if (kv.key() == "length") {
          length = static_cast<int64_t>(std::stoull(kv.value()));
        }
      } catch (const std::exception&) {
        return Status::DataLoss(what + ": external data " + kv.key() + " '" + kv.value() + "' is not a number");
      }
    }
    const fs::path loc(location);
    if (location.empty() || loc.is_absolute() || loc.lexically_normal().string().rfind("..", 0) == 0) {
      return Status::DataLoss(what + ": external data location '" + location +
                              "' must be a file name beside the model");
    }
    if (length >= 0 && static_cast<uint64_t>(length) != bytes) {
      return Status::DataLoss(what + ": external data length " + std::to_string(length) +
                              " does not match its shape (" + std::to_string(bytes) + " bytes)");
    }
    const fs::path file = base_dir / loc;
    std::error_code ec;
    const uint64_t size = fs::file_size(file, ec);
    if (ec) return Status::NotFound(what + ": external data file " + file.string() + " is missing");
    if (offset > size || bytes > size - offset) {
      return Status::DataLoss(what + ": external data lies beyond the end of " + file.string());
    }
    t.data.resize(bytes);
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(bytes));
    if (!in) return Status::IoError("cannot read " + file.string());
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != bytes) {
      return Status::DataLoss(what + " has " + std::to_string(p.raw_data().size()) +
                              " bytes of data for a shape of " + std::to_string(bytes));
    }
    t.data.assign(p.raw_data().begin(), p.raw_data().end());
    return t;
  }
  t.data.resize(bytes);
  auto check = [&](int64_t n) -> Status {
    if (n != count) {
      return Status::DataLoss(what + " has " + std::to_string(n) + " values for " +
                              std::to_string(count) + " elements");
    }
    return Status::Ok();
  };
  switch (t.dtype) {
    case DType::kFloat:
      IMI_RETURN_IF_ERROR(check(p.float_data_size()));
      if (count > 0) std::memcpy(t.data.data(), p.float_data().data(), bytes);
      break;
    case DType::kInt64:
      IMI_RETURN_IF_ERROR(check(p.int64_data_size()));
      if (count > 0) std::memcpy(t.data.data(), p.int64_data().data(), bytes);
      break;
    case DType::kInt32:
      IMI_RETURN_IF_ERROR(check(p.int32_data_size()));
      if (count > 0) std::memcpy(t.data.data(), p.int32_data().data(), bytes);
      break;
    default: {
      // int8, uint8, bool, float16 and bfloat16 live one value per int32.
      IMI_RETURN_IF_ERROR(check(p.int32_data_size()));
      const size_t width = DTypeSize(t.dtype);
      for (int64_t i = 0; i < count; ++i) {
        const uint32_t v = static_cast<uint32_t>(p.int32_data(static_cast<int>(i)));
        std::memcpy(t.data.data() + i * width, &v, width);
      }
    }
  }
  return t;
}

Result<Attribute> ReadAttribute(const onnx::AttributeProto& p, const std::string& node) {
  Attribute a;
  a.name = p.name();
  switch (p.type()) {
    case onnx::AttributeProto::INT:
      a.value = p.i();
      return a;
    case onnx::AttributeProto::FLOAT:
      a.value = p.f();
      return a;
    case onnx::AttributeProto::STRING:
      a.value = p.s();
      return a;
    case onnx::AttributeProto::INTS:
      a.value = std::vector<int64_t>(p.ints().begin(), p.ints().end());
      return a;
    case onnx::AttributeProto::FLOATS:
      a.value = std::vector<float>(p.floats().begin(), p.floats().end());
      return a;
    case onnx::AttributeProto::TENSOR: {
      IMI_ASSIGN_OR_RETURN(Tensor t, ReadTensor(p.t(), fs::path("."), false));
      a.value = std::move(t);
      return a;
    }
    default:
      return Status::Unsupported("node '" + node + "' has attribute '" + p.name() + "' of type " +
                                 std::to_string(p.type()) + " (subgraphs and lists of tensors are not supported)");
  }
}

Result<ValueInfo> ReadValueInfo(const onnx::ValueInfoProto& p) {
  ValueInfo v;
  v.name = p.name();
  if (!p.type().has_tensor_type()) {
    return Status::Unsupported("graph value '" + p.name() + "' is not a tensor");
  }
  const auto& tt = p.type().tensor_type();
  if (!KnownDType(tt.elem_type())) {
    return Status::Unsupported("graph value '" + p.name() + "' has element type " +
                               std::to_string(tt.elem_type()));
  }
  v.dtype = static_cast<DType>(tt.elem_type());
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      v.dims.emplace_back(d.dim_value());
    } else {
      v.dims.emplace_back(d.dim_param());
    }
  }
  return v;
}

Result<Graph> FromProto(const onnx::ModelProto& model, const fs::path& base_dir, bool allow_external) {
  Graph g;
  const auto& pg = model.graph();
  g.name = pg.name();
  g.producer = model.producer_name();
  g.opsets.clear();
  for (const auto& op : model.opset_import()) g.opsets[op.domain() == "ai.onnx" ? "" : op.domain()] = op.version();
  for (const auto& kv : model.metadata_props()) g.metadata[kv.key()] = kv.value();
  for (const auto& t : pg.initializer()) {
    if (t.name().empty()) return Status::DataLoss("an initializer has no name");
    IMI_ASSIGN_OR_RETURN(Tensor tensor, ReadTensor(t, base_dir, allow_external));
    g.initializers[t.name()] = std::move(tensor);
  }
  if (pg.sparse_initializer_size() > 0) return Status::Unsupported("sparse initializers are not supported");
  for (const auto& in : pg.input()) {
    if (g.initializers.count(in.name()) > 0) continue;  // IR < 4 lists initializers as inputs
    IMI_ASSIGN_OR_RETURN(ValueInfo v, ReadValueInfo(in));
    g.inputs.push_back(std::move(v));
  }
  for (const auto& out : pg.output()) {
    IMI_ASSIGN_OR_RETURN(ValueInfo v, ReadValueInfo(out));
    g.outputs.push_back(std::move(v));
  }
  for (const auto& pn : pg.node()) {
    Node n;
    n.op_type = pn.op_type();
    n.domain = pn.domain() == "ai.onnx" ? "" : pn.domain();
    n.name = pn.name();
    n.inputs.assign(pn.input().begin(), pn.input().end());
    n.outputs.assign(pn.output().begin(), pn.output().end());
    for (const auto& pa : pn.attribute()) {
      IMI_ASSIGN_OR_RETURN(Attribute a, ReadAttribute(pa, pn.name().empty() ? pn.op_type() : pn.name()));
      n.attributes.push_back(std::move(a));
    }
    g.nodes.push_back(std::move(n));
  }
  return g;
}

}  // namespace

Status WriteOnnx(const Graph& graph, const std::string& path, const OnnxWriteOptions& options) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name(graph.producer);
  for (const auto& [domain, version] : graph.opsets) {
    auto* op = model.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  for (const auto& [k, v] : graph.metadata) {
    auto* kv = model.add_metadata_props();
    kv->set_key(k);
    kv->set_value(v);
  }
  auto* pg = model.mutable_graph();
  pg->set_name(graph.name);
  for (const auto& v : graph.inputs) FillValueInfo(v, pg->add_input());
  for (const auto& v : graph.outputs) FillValueInfo(v, pg->add_output());
  for (const auto& n : graph.nodes) {
    auto* pn = pg->add_node();
    pn->set_op_type(n.op_type);
    if (!n.domain.empty()) pn->set_domain(n.domain);
    pn->set_name(n.name);
    for (const auto& i : n.inputs) pn->add_input(i);
    for (const auto& o : n.outputs) pn->add_output(o);
    for (const auto& a : n.attributes) FillAttribute(a, pn->add_attribute());
  }

  uint64_t total = 0;
  for (const auto& [name, t] : graph.initializers) total += t.data.size();
  const bool external = total > options.external_data_threshold_bytes;
  const fs::path model_path(path);
  const std::string data_name = model_path.filename().string() + "_data";
  const fs::path data_path = model_path.parent_path() / data_name;
  const fs::path data_tmp = model_path.parent_path() / (data_name + ".tmp");
  std::ofstream data_out;
  uint64_t offset = 0;
  if (external) {
    data_out.open(data_tmp, std::ios::binary | std::ios::trunc);
    if (!data_out) return Status::IoError("cannot create " + data_tmp.string());
  }
  for (const auto& [name, t] : graph.initializers) {
    auto* pt = pg->add_initializer();
    FillTensorHeader(name, t, pt);
    if (external && t.data.size() >= kExternalMinBytes) {
      const uint64_t aligned = (offset + kExternalAlign - 1) / kExternalAlign * kExternalAlign;
      static const char zeros[kExternalAlign] = {};
      data_out.write(zeros, static_cast<std::streamsize>(aligned - offset));
      data_out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
      pt->set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [&](const char* k, const std::string& v) {
        auto* kv = pt->add_external_data();
        kv->set_key(k);
        kv->set_value(v);
      };
      add("location", data_name);
      add("offset", std::to_string(aligned));
      add("length", std::to_string(t.data.size()));
      offset = aligned + t.data.size();
    } else {
      pt->set_raw_data(t.data.data(), t.data.size());
    }
  }
  if (external) {
    data_out.flush();
    if (!data_out) return Status::IoError("cannot write " + data_tmp.string() + " (disk full?)");
    data_out.close();
  }
  if (model.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::TooLarge("the ONNX graph of " + path + " exceeds protobuf's 2 GiB limit even with external data");
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError("cannot create " + tmp);
    if (!model.SerializeToOstream(&out)) return Status::IoError("cannot write " + tmp + " (disk full?)");
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp + " (disk full?)");
  }
  std::error_code ec;
  if (external) {
    fs::rename(data_tmp, data_path, ec);
    if (ec) return Status::IoError("cannot rename " + data_tmp.string() + ": " + ec.message());
  } else {
    fs::remove(data_path, ec);  // a stale data file from an earlier, larger model
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

Result<Graph> ReadOnnx(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound("no ONNX file at " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  google::protobuf::io::IstreamInputStream raw(&in);
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  onnx::ModelProto model;
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    return Status::DataLoss(path + " is not a valid ONNX model (protobuf parse failed)");
  }
  auto g = FromProto(model, fs::path(path).parent_path(), true);
  if (!g.ok()) return g.status().WithContext(path);
  return g;
}

Result<Graph> ParseOnnx(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return Status::DataLoss("not a valid ONNX model (protobuf parse failed)");
  return FromProto(model, fs::path("."), false);
}

}  // namespace imi::convert
