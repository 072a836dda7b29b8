#ifndef IMI_TESTS_MODEL_FIXTURES_H_
#define IMI_TESTS_MODEL_FIXTURES_H_

#include <string>

namespace imi::model::testing {

// Generated test data (tests/model/make_fixtures.sh), made once per build
// directory on first use. `skip_reason` is non-empty when a prerequisite is
// missing; tests then GTEST_SKIP() with it. IMI_REQUIRE_FIXTURES() does both.
struct Fixtures {
  std::string dir;
  std::string skip_reason;
  std::string error;  // generation failed: tests fail with this

  std::string Path(const std::string& name) const { return dir + "/" + name; }
};

const Fixtures& GetFixtures();
// The bge-m3 and cross-encoder models and references (make_m3_fixtures.sh).
const Fixtures& GetM3Fixtures();

#define IMI_REQUIRE_FIXTURES(f)                               \
  const auto& f = ::imi::model::testing::GetFixtures();       \
  if (!f.error.empty()) FAIL() << f.error;                    \
  if (!f.skip_reason.empty()) GTEST_SKIP() << f.skip_reason
#define IMI_REQUIRE_M3_FIXTURES(f)                            \
  const auto& f = ::imi::model::testing::GetM3Fixtures();     \
  if (!f.error.empty()) FAIL() << f.error;                    \
  if (!f.skip_reason.empty()) GTEST_SKIP() << f.skip_reason

// Runs `command` through /bin/sh; returns its exit status and fills *output
// with stdout (stderr too when merge_stderr).
int RunCommand(const std::string& command, std::string* output, bool merge_stderr = false);

}  // namespace imi::model::testing

#endif  // IMI_TESTS_MODEL_FIXTURES_H_
