#include "serve_test_model.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace imi::testing {

std::string ImiBinary() {
  const char* other = std::getenv("IMI_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : std::string(IMI_BINARY_DIR) + "/imi";
}

std::string ServeTestModel(std::string* skip_reason, const std::string& name) {
  skip_reason->clear();
  const std::string binary = ImiBinary();
  if (access(binary.c_str(), X_OK) != 0) {
    *skip_reason = "the imi binary is not built at " + binary;
    return "";
  }
  const std::string fixture_dir = std::string(IMI_BINARY_DIR) + "/serve-fixtures";
  const std::string lock_path = std::string(IMI_BINARY_DIR) + "/serve-fixtures.lock";
  const int lock = open(lock_path.c_str(), O_CREAT | O_RDWR, 0644);
  flock(lock, LOCK_EX);
  const std::string command = std::string(IMI_SOURCE_DIR) + "/tests/server/make_serve_model.sh '" + fixture_dir +
                              "' '" + IMI_SOURCE_DIR + "' '" + IMI_SHARED_DIR + "' '" + name + "'";
  const int rc = std::system(command.c_str());
  flock(lock, LOCK_UN);
  close(lock);
  std::ifstream reason(fixture_dir + "/skip.txt");
  if (reason) {
    std::getline(reason, *skip_reason);
    return "";
  }
  if (rc != 0) return "";
  return fixture_dir + "/" + name;
}

}  // namespace imi::testing
