#include "tokenizer_files.h"

#include <algorithm>

namespace imi::tokenizer::testing {

std::vector<std::pair<std::string, std::filesystem::path>> TokenizerFiles() {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, fs::path>> files;
  for (const fs::path& root :
       {fs::path(IMI_SOURCE_DIR) / "tests/data/tokenizer/made", fs::path(IMI_SHARED_DIR) / "tokenizers"}) {
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::directory_iterator(root)) {
      const fs::path file = entry.path() / "tokenizer.json";
      if (fs::exists(file)) files.emplace_back(entry.path().filename().string(), file);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace imi::tokenizer::testing
