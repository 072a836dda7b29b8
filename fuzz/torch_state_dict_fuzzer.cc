// libFuzzer target for the PyTorch state-dict reader (model/torch_state_dict.h)
// that loads bge-m3's sparse_linear.pt and colbert_linear.pt. Input that
// starts with "PK" is read as a whole .pt file; anything else is a data.pkl:
// parsed alone, and when that succeeds packed into an archive built here with
// valid CRCs and storages of exactly the sizes it names (fixed contents), so
// that mutations reach the pickle reader and the tensor gathering instead of
// stopping at a CRC. Never a crash; an accepted state dict has values for
// exactly the elements of its shapes, and reading the same bytes twice gives
// the same verdict.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/torch_pickle.h"
#include "model/torch_state_dict.h"
#include "model/zip_archive.h"

namespace {

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "torch_state_dict_fuzzer: %s\n", what);
  std::abort();
}

void Put16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

// A stored zip archive of `records` (name, bytes), as torch.save lays it out.
std::string StoredZip(const std::vector<std::pair<std::string, std::string>>& records) {
  std::string out, directory;
  for (const auto& [name, data] : records) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = imi::model::Crc32(data);
    std::string header;
    Put32(&header, 0x04034b50);
    Put16(&header, 20);
    Put16(&header, 0);
    Put16(&header, 0);
    Put32(&header, 0);
    Put32(&header, crc);
    Put32(&header, static_cast<uint32_t>(data.size()));
    Put32(&header, static_cast<uint32_t>(data.size()));
    Put16(&header, static_cast<uint32_t>(name.size()));
    Put16(&header, 0);
    out += header + name + data;
    Put32(&directory, 0x02014b50);
    Put16(&directory, 20);
    Put16(&directory, 20);
    Put16(&directory, 0);
    Put16(&directory, 0);
    Put32(&directory, 0);
    Put32(&directory, crc);
    Put32(&directory, static_cast<uint32_t>(data.size()));
    Put32(&directory, static_cast<uint32_t>(data.size()));
    Put16(&directory, static_cast<uint32_t>(name.size()));
    Put32(&directory, 0);  // extra and comment lengths
    Put32(&directory, 0);  // disk, internal attributes
    Put32(&directory, 0);  // external attributes
    Put32(&directory, offset);
    directory += name;
  }
  const uint32_t directory_offset = static_cast<uint32_t>(out.size());
  out += directory;
  Put32(&out, 0x06054b50);
  Put32(&out, 0);
  Put16(&out, static_cast<uint32_t>(records.size()));
  Put16(&out, static_cast<uint32_t>(records.size()));
  Put32(&out, static_cast<uint32_t>(directory.size()));
  Put32(&out, directory_offset);
  Put16(&out, 0);
  return out;
}

void CheckResult(const imi::Result<std::map<std::string, imi::model::FloatTensor>>& sd) {
  if (!sd.ok()) {
    Check(!sd.status().message().empty(), "an error without a message");
    return;
  }
  for (const auto& [name, tensor] : *sd) {
    uint64_t numel = 1;
    for (int64_t d : tensor.shape) {
      Check(d >= 0, "a negative dimension");
      numel *= static_cast<uint64_t>(d);
    }
    Check(tensor.values.size() == numel, "values do not match the shape");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string bytes;
  if (input.substr(0, 2) == "PK") {
    bytes = std::string(input);
  } else {
    auto tensors = imi::model::ParseStateDictPickle(input);
    if (!tensors.ok()) return 0;
    std::vector<std::pair<std::string, std::string>> records = {{"archive/data.pkl", std::string(input)},
                                                                {"archive/byteorder", "little"}};
    std::map<std::string, uint64_t> storages;
    uint64_t total = 0;
    for (const auto& [name, t] : *tensors) {
      const uint64_t size = static_cast<uint64_t>(t.storage_numel) * imi::model::TorchDtypeSize(t.dtype);
      if (size > (1u << 20) || (total += size) > (4u << 20)) return 0;
      storages[t.storage_key] = size;
    }
    for (const auto& [key, size] : storages) {
      std::string storage(size, '\0');
      for (size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<char>(i * 37 + key.size());
      records.emplace_back("archive/data/" + key, std::move(storage));
    }
    bytes = StoredZip(records);
  }
  auto first = imi::model::ReadTorchStateDict(bytes, "fuzz.pt");
  CheckResult(first);
  auto second = imi::model::ReadTorchStateDict(bytes, "fuzz.pt");
  Check(first.ok() == second.ok(), "two reads of the same bytes disagree");
  return 0;
}
