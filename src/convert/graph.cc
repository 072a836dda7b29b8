#include "convert/graph.h"

#include <cstring>

namespace imi::convert {

size_t DTypeSize(DType type) {
  switch (type) {
    case DType::kFloat:
    case DType::kInt32:
      return 4;
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
    case DType::kInt64:
      return 8;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
  }
  return 0;
}

const char* DTypeName(DType type) {
  switch (type) {
    case DType::kFloat: return "float32";
    case DType::kUint8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
  }
  return "unknown";
}

int64_t Tensor::ElementCount() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Tensor Tensor::Floats(std::vector<int64_t> dims, const std::vector<float>& values) {
  Tensor t;
  t.dtype = DType::kFloat;
  t.dims = std::move(dims);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

Tensor Tensor::Zeros(DType dtype, std::vector<int64_t> dims) {
  Tensor t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.data.assign(static_cast<size_t>(t.ElementCount()) * DTypeSize(dtype), 0);
  return t;
}

Tensor Tensor::ScalarFloat(float v) {
  Tensor t = Zeros(DType::kFloat, {});
  std::memcpy(t.data.data(), &v, sizeof v);
  return t;
}

Tensor Tensor::ScalarInt64(int64_t v) {
  Tensor t = Zeros(DType::kInt64, {});
  std::memcpy(t.data.data(), &v, sizeof v);
  return t;
}

Tensor Tensor::Int64s(const std::vector<int64_t>& values) {
  Tensor t = Zeros(DType::kInt64, {static_cast<int64_t>(values.size())});
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

Tensor Tensor::ScalarUint8(uint8_t v) {
  Tensor t = Zeros(DType::kUint8, {});
  t.data[0] = v;
  return t;
}

Tensor Tensor::ScalarInt8(int8_t v) {
  Tensor t = Zeros(DType::kInt8, {});
  std::memcpy(t.data.data(), &v, 1);
  return t;
}

const Attribute* Node::FindAttribute(const std::string& attr) const {
  for (const auto& a : attributes) {
    if (a.name == attr) return &a;
  }
  return nullptr;
}

std::string GraphBuilder::Fresh(const std::string& hint) {
  return (hint.empty() ? std::string("v") : hint) + "_" + std::to_string(++counter_);
}

std::string GraphBuilder::Const(Tensor tensor, const std::string& hint) {
  std::string name = Fresh(hint);
  graph_->initializers[name] = std::move(tensor);
  return name;
}

std::string GraphBuilder::Weight(const std::string& name, Tensor tensor) {
  graph_->initializers[name] = std::move(tensor);
  return name;
}

std::string GraphBuilder::Op(const std::string& op_type, std::vector<std::string> inputs,
                             std::vector<Attribute> attributes, const std::string& hint) {
  return OpN(op_type, std::move(inputs), 1, std::move(attributes), hint)[0];
}

std::vector<std::string> GraphBuilder::OpN(const std::string& op_type,
                                           std::vector<std::string> inputs, size_t count,
                                           std::vector<Attribute> attributes,
                                           const std::string& hint, const std::string& domain) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = Fresh(hint.empty() ? op_type : hint);
  n.inputs = std::move(inputs);
  for (size_t i = 0; i < count; ++i) n.outputs.push_back(n.name + (count == 1 ? "" : "_" + std::to_string(i)));
  n.attributes = std::move(attributes);
  graph_->nodes.push_back(std::move(n));
  return graph_->nodes.back().outputs;
}

Attribute IntAttr(const std::string& name, int64_t v) { return {name, v}; }
Attribute FloatAttr(const std::string& name, float v) { return {name, v}; }
Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) { return {name, std::move(v)}; }

}  // namespace imi::convert
