#ifndef IMI_TESTS_TOKENIZER_TOKENIZER_FILES_H_
#define IMI_TESTS_TOKENIZER_TOKENIZER_FILES_H_

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace imi::tokenizer::testing {

// Every tokenizer the suites run over, as (directory name, tokenizer.json):
// the project's made tokenizers (tests/data/tokenizer/made) and the shared
// real ones (../shared/tokenizers), sorted by name. A missing root is skipped.
std::vector<std::pair<std::string, std::filesystem::path>> TokenizerFiles();

}  // namespace imi::tokenizer::testing

#endif  // IMI_TESTS_TOKENIZER_TOKENIZER_FILES_H_
