#include "model/torch_pickle.h"

#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace imi::model {
namespace {

// More objects than the pickle of any state dict holds (a full encoder's has
// a few thousand); bounds memory on hostile input.
constexpr size_t kMaxObjects = 100000;

enum class Kind : uint8_t { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kStorage, kTensor };

// What a GLOBAL opcode may name.
enum class Global : uint8_t { kOrderedDict, kRebuildTensor, kRebuildParameter, kRebuildParameterWithState, kStorage };

struct Object {
  Kind kind = Kind::kNone;
  int64_t number = 0;           // kBool, kInt
  Global global = Global::kOrderedDict;
  TorchDtype dtype = TorchDtype::kFloat32;  // kGlobal kStorage
  std::string text;             // kString
  std::vector<uint32_t> items;  // kTuple, kList; kDict: key, value, key, value, ...
  PickledTensor tensor;         // kStorage (key, dtype, numel), kTensor
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kGlobal: return "global";
    case Kind::kStorage: return "storage";
    case Kind::kTensor: return "tensor";
  }
  return "?";
}

class Machine {
 public:
  explicit Machine(std::string_view in) : in_(in) {}

  Result<uint32_t> Run();
  const Object& At(uint32_t i) const { return objects_[i]; }

 private:
  Status Fail(const std::string& what) const {
    return Status::InvalidArgument("data.pkl byte " + std::to_string(op_at_) + ": " + what);
  }
  Result<uint32_t> New(Object o) {
    if (objects_.size() >= kMaxObjects) return Fail("more than " + std::to_string(kMaxObjects) + " objects");
    objects_.push_back(std::move(o));
    return static_cast<uint32_t>(objects_.size() - 1);
  }
  Status Push(Result<uint32_t> r) {
    if (!r.ok()) return r.status();
    stack_.push_back(*r);
    return Status::Ok();
  }
  Result<uint32_t> Pop() {
    if (stack_.size() <= floor()) return Fail("stack underflow");
    const uint32_t v = stack_.back();
    stack_.pop_back();
    return v;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // Everything above the last MARK, which is removed.
  Result<std::vector<uint32_t>> PopToMark() {
    if (marks_.empty()) return Fail("no MARK");
    std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Result<std::string_view> Take(size_t n) {
    if (n > in_.size() - pos_) return Fail("truncated");
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  Result<uint64_t> TakeUint(size_t n) {
    IMI_ASSIGN_OR_RETURN(std::string_view b, Take(n));
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = v << 8 | static_cast<uint8_t>(b[i]);
    return v;
  }
  Result<std::string_view> TakeLine() {
    const size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) return Fail("unterminated GLOBAL name");
    std::string_view s = in_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  Result<uint32_t> Expect(uint32_t i, Kind kind, const char* what) {
    if (objects_[i].kind != kind) {
      return Fail(std::string(what) + " must be a " + KindName(kind) + ", got a " + KindName(objects_[i].kind));
    }
    return i;
  }

  Status Global();
  Status Reduce();
  Status PersistentId();
  Status Build();
  Status Memo(uint64_t key) {
    if (stack_.size() <= floor()) return Fail("PUT with an empty stack");
    memo_[key] = stack_.back();
    return Status::Ok();
  }
  Status Get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return Fail("GET of memo " + std::to_string(key) + ", which was never PUT");
    stack_.push_back(it->second);
    return Status::Ok();
  }
  Status AddTo(uint32_t container, const std::vector<uint32_t>& items, Kind kind, const char* op) {
    if (objects_[container].kind != kind) {
      return Fail(std::string(op) + " on a " + KindName(objects_[container].kind) + ", not a " + KindName(kind));
    }
    auto& dst = objects_[container].items;
    dst.insert(dst.end(), items.begin(), items.end());
    return Status::Ok();
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  std::vector<Object> objects_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
};

Status Machine::Global() {
  IMI_ASSIGN_OR_RETURN(std::string_view module, TakeLine());
  IMI_ASSIGN_OR_RETURN(std::string_view name, TakeLine());
  Object o;
  o.kind = Kind::kGlobal;
  if (module == "collections" && name == "OrderedDict") {
    o.global = Global::kOrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    o.global = Global::kRebuildTensor;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    o.global = Global::kRebuildParameter;
  } else if (module == "torch._utils" && name == "_rebuild_parameter_with_state") {
    o.global = Global::kRebuildParameterWithState;
  } else if (module == "torch" && (name == "FloatStorage" || name == "HalfStorage" || name == "BFloat16Storage" ||
                                   name == "DoubleStorage")) {
    o.global = Global::kStorage;
    o.dtype = name == "FloatStorage"  ? TorchDtype::kFloat32
              : name == "HalfStorage" ? TorchDtype::kFloat16
              : name == "DoubleStorage" ? TorchDtype::kFloat64
                                        : TorchDtype::kBFloat16;
  } else {
    return Status::Unsupported("data.pkl byte " + std::to_string(op_at_) + ": global " + std::string(module) + "." +
                               std::string(name) +
                               " is not part of a float tensor state dict (allowed: collections.OrderedDict, "
                               "torch._utils._rebuild_tensor_v2, torch.{Float,Half,BFloat16,Double}Storage)");
  }
  return Push(New(std::move(o)));
}

Status Machine::PersistentId() {
  IMI_ASSIGN_OR_RETURN(uint32_t pid, Pop());
  IMI_ASSIGN_OR_RETURN(pid, Expect(pid, Kind::kTuple, "a persistent id"));
  const std::vector<uint32_t> f = objects_[pid].items;
  if (f.size() != 5 || objects_[f[0]].kind != Kind::kString || objects_[f[0]].text != "storage") {
    return Fail("persistent id is not a ('storage', type, key, location, numel) record");
  }
  if (objects_[f[1]].kind != Kind::kGlobal || objects_[f[1]].global != Global::kStorage) {
    return Fail("persistent id's storage type is not one of torch's float storages");
  }
  IMI_RETURN_IF_ERROR(Expect(f[2], Kind::kString, "a storage key").status());
  IMI_RETURN_IF_ERROR(Expect(f[4], Kind::kInt, "a storage size").status());
  if (objects_[f[4]].number < 0) return Fail("negative storage size");
  const std::string& key = objects_[f[2]].text;
  if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos) {
    return Fail("storage key '" + key + "' is not a record number");
  }
  Object o;
  o.kind = Kind::kStorage;
  o.tensor.storage_key = key;
  o.tensor.dtype = objects_[f[1]].dtype;
  o.tensor.storage_numel = objects_[f[4]].number;
  return Push(New(std::move(o)));
}

Status Machine::Reduce() {
  IMI_ASSIGN_OR_RETURN(uint32_t args, Pop());
  IMI_ASSIGN_OR_RETURN(uint32_t callable, Pop());
  IMI_ASSIGN_OR_RETURN(callable, Expect(callable, Kind::kGlobal, "REDUCE's callable"));
  IMI_ASSIGN_OR_RETURN(args, Expect(args, Kind::kTuple, "REDUCE's arguments"));
  const std::vector<uint32_t> a = objects_[args].items;
  switch (objects_[callable].global) {
    case Global::kOrderedDict: {
      if (!a.empty()) return Fail("OrderedDict called with arguments");
      Object o;
      o.kind = Kind::kDict;
      return Push(New(std::move(o)));
    }
    case Global::kRebuildParameter:
    case Global::kRebuildParameterWithState: {
      const size_t want = objects_[callable].global == Global::kRebuildParameter ? 3 : 4;
      if (a.size() != want) return Fail("_rebuild_parameter takes " + std::to_string(want) + " arguments");
      IMI_ASSIGN_OR_RETURN(uint32_t tensor, Expect(a[0], Kind::kTensor, "a parameter's data"));
      stack_.push_back(tensor);
      return Status::Ok();
    }
    case Global::kRebuildTensor: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() != 6 && a.size() != 7) return Fail("_rebuild_tensor_v2 takes 6 or 7 arguments");
      IMI_RETURN_IF_ERROR(Expect(a[0], Kind::kStorage, "a tensor's storage").status());
      IMI_RETURN_IF_ERROR(Expect(a[1], Kind::kInt, "a tensor's storage offset").status());
      IMI_RETURN_IF_ERROR(Expect(a[2], Kind::kTuple, "a tensor's size").status());
      IMI_RETURN_IF_ERROR(Expect(a[3], Kind::kTuple, "a tensor's stride").status());
      Object o;
      o.kind = Kind::kTensor;
      o.tensor = objects_[a[0]].tensor;
      o.tensor.offset = objects_[a[1]].number;
      for (int which = 2; which <= 3; ++which) {
        for (uint32_t d : objects_[a[which]].items) {
          IMI_RETURN_IF_ERROR(Expect(d, Kind::kInt, which == 2 ? "a size" : "a stride").status());
          (which == 2 ? o.tensor.size : o.tensor.stride).push_back(objects_[d].number);
        }
      }
      if (o.tensor.size.size() != o.tensor.stride.size()) return Fail("a tensor's size and stride differ in rank");
      return Push(New(std::move(o)));
    }
    case Global::kStorage:
      return Fail("a storage type cannot be called");
  }
  return Fail("unknown callable");
}

Status Machine::Build() {
  IMI_ASSIGN_OR_RETURN(uint32_t state, Pop());
  if (stack_.size() <= floor()) return Fail("BUILD with nothing to build");
  // nn.Module.state_dict() sets OrderedDict._metadata; pickle restores it
  // with BUILD. It holds module versions only, so it is dropped.
  if (objects_[stack_.back()].kind != Kind::kDict ||
      (objects_[state].kind != Kind::kDict && objects_[state].kind != Kind::kNone)) {
    return Fail("BUILD is only allowed to set a state dict's attributes");
  }
  return Status::Ok();
}

Result<uint32_t> Machine::Run() {
  IMI_ASSIGN_OR_RETURN(uint64_t first, TakeUint(1));
  IMI_ASSIGN_OR_RETURN(uint64_t protocol, TakeUint(1));
  if (first != 0x80 || protocol != 2) {
    return Status::Unsupported(
        first == 0x80 ? "data.pkl uses pickle protocol " + std::to_string(protocol) +
                            "; imi reads protocol 2, the one torch.save writes"
                      : std::string("data.pkl does not start with pickle's PROTO opcode"));
  }
  for (;;) {
    op_at_ = pos_;
    IMI_ASSIGN_OR_RETURN(uint64_t op, TakeUint(1));
    Object o;
    switch (op) {
      case '.': {  // STOP
        if (stack_.size() != 1 || !marks_.empty()) return Fail("STOP with " + std::to_string(stack_.size()) + " objects");
        if (pos_ != in_.size()) return Fail("bytes after STOP");
        return stack_.back();
      }
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case 'N':  // NONE
        IMI_RETURN_IF_ERROR(Push(New(o)));
        break;
      case 0x88:  // NEWTRUE
      case 0x89:  // NEWFALSE
        o.kind = Kind::kBool;
        o.number = op == 0x88;
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      case 'K':  // BININT1
      case 'M':  // BININT2
      case 'J': {  // BININT
        IMI_ASSIGN_OR_RETURN(uint64_t v, TakeUint(op == 'K' ? 1 : op == 'M' ? 2 : 4));
        o.kind = Kind::kInt;
        o.number = op == 'J' ? static_cast<int64_t>(static_cast<int32_t>(v)) : static_cast<int64_t>(v);
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case 0x8a: {  // LONG1: n bytes of two's complement, little-endian
        IMI_ASSIGN_OR_RETURN(uint64_t n, TakeUint(1));
        if (n > 8) return Fail("integer wider than 64 bits");
        IMI_ASSIGN_OR_RETURN(uint64_t v, TakeUint(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
        o.kind = Kind::kInt;
        o.number = static_cast<int64_t>(v);
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case 'G': {  // BINFLOAT: a state dict has no use for its value
        IMI_RETURN_IF_ERROR(Take(8).status());
        o.kind = Kind::kFloat;
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case 'X': {  // BINUNICODE
        IMI_ASSIGN_OR_RETURN(uint64_t n, TakeUint(4));
        IMI_ASSIGN_OR_RETURN(std::string_view s, Take(n));
        o.kind = Kind::kString;
        o.text = std::string(s);
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case ')':  // EMPTY_TUPLE
      case ']':  // EMPTY_LIST
      case '}':  // EMPTY_DICT
        o.kind = op == ')' ? Kind::kTuple : op == ']' ? Kind::kList : Kind::kDict;
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      case 't': {  // TUPLE
        IMI_ASSIGN_OR_RETURN(o.items, PopToMark());
        o.kind = Kind::kTuple;
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case 0x85:  // TUPLE1..3
      case 0x86:
      case 0x87: {
        const size_t n = op - 0x84;
        o.items.resize(n);
        for (size_t i = n; i-- > 0;) {
          IMI_ASSIGN_OR_RETURN(o.items[i], Pop());
        }
        o.kind = Kind::kTuple;
        IMI_RETURN_IF_ERROR(Push(New(std::move(o))));
        break;
      }
      case 'a': {  // APPEND
        IMI_ASSIGN_OR_RETURN(uint32_t v, Pop());
        if (stack_.size() <= floor()) return Fail("APPEND without a list");
        IMI_RETURN_IF_ERROR(AddTo(stack_.back(), {v}, Kind::kList, "APPEND"));
        break;
      }
      case 'e': {  // APPENDS
        IMI_ASSIGN_OR_RETURN(std::vector<uint32_t> items, PopToMark());
        if (stack_.size() <= floor()) return Fail("APPENDS without a list");
        IMI_RETURN_IF_ERROR(AddTo(stack_.back(), items, Kind::kList, "APPENDS"));
        break;
      }
      case 's': {  // SETITEM
        IMI_ASSIGN_OR_RETURN(uint32_t value, Pop());
        IMI_ASSIGN_OR_RETURN(uint32_t key, Pop());
        if (stack_.size() <= floor()) return Fail("SETITEM without a dict");
        IMI_RETURN_IF_ERROR(AddTo(stack_.back(), {key, value}, Kind::kDict, "SETITEM"));
        break;
      }
      case 'u': {  // SETITEMS
        IMI_ASSIGN_OR_RETURN(std::vector<uint32_t> items, PopToMark());
        if (items.size() % 2 != 0) return Fail("SETITEMS with an odd number of items");
        if (stack_.size() <= floor()) return Fail("SETITEMS without a dict");
        IMI_RETURN_IF_ERROR(AddTo(stack_.back(), items, Kind::kDict, "SETITEMS"));
        break;
      }
      case 'c':  // GLOBAL
        IMI_RETURN_IF_ERROR(Global());
        break;
      case 'R':  // REDUCE
        IMI_RETURN_IF_ERROR(Reduce());
        break;
      case 'b':  // BUILD
        IMI_RETURN_IF_ERROR(Build());
        break;
      case 'Q':  // BINPERSID
        IMI_RETURN_IF_ERROR(PersistentId());
        break;
      case 'q':  // BINPUT
      case 'r': {  // LONG_BINPUT
        IMI_ASSIGN_OR_RETURN(uint64_t key, TakeUint(op == 'q' ? 1 : 4));
        IMI_RETURN_IF_ERROR(Memo(key));
        break;
      }
      case 'h':  // BINGET
      case 'j': {  // LONG_BINGET
        IMI_ASSIGN_OR_RETURN(uint64_t key, TakeUint(op == 'h' ? 1 : 4));
        IMI_RETURN_IF_ERROR(Get(key));
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(op));
        return Status::Unsupported("data.pkl byte " + std::to_string(op_at_) + ": pickle opcode " + hex +
                                   " is not one torch.save uses for a state dict");
      }
    }
  }
}

}  // namespace

size_t TorchDtypeSize(TorchDtype dtype) {
  switch (dtype) {
    case TorchDtype::kFloat32: return 4;
    case TorchDtype::kFloat16:
    case TorchDtype::kBFloat16: return 2;
    case TorchDtype::kFloat64: return 8;
  }
  return 4;
}

Result<std::vector<std::pair<std::string, PickledTensor>>> ParseStateDictPickle(std::string_view pickle) {
  Machine machine(pickle);
  IMI_ASSIGN_OR_RETURN(uint32_t top, machine.Run());
  const Object& dict = machine.At(top);
  if (dict.kind != Kind::kDict) {
    return Status::InvalidArgument(std::string("data.pkl holds a ") + KindName(dict.kind) +
                                   ", not a state dict (a dict of name -> tensor)");
  }
  std::vector<std::pair<std::string, PickledTensor>> out;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const Object& key = machine.At(dict.items[i]);
    const Object& value = machine.At(dict.items[i + 1]);
    if (key.kind != Kind::kString) {
      return Status::InvalidArgument(std::string("state dict key is a ") + KindName(key.kind) + ", not a str");
    }
    if (value.kind != Kind::kTensor) {
      return Status::InvalidArgument("state dict entry '" + key.text + "' is a " + KindName(value.kind) +
                                     ", not a tensor");
    }
    if (!seen.insert(key.text).second) {
      return Status::InvalidArgument("state dict entry '" + key.text + "' appears twice");
    }
    out.emplace_back(key.text, value.tensor);
  }
  return out;
}

}  // namespace imi::model
