#ifndef IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_
#define IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_

#include <string>

namespace imi::testing {

// Path of the built imi binary the black-box tests run.
std::string ImiBinary();

// The generated tiny model the black-box tests serve, made once per build
// directory by tests/server/make_serve_model.sh (serialised with a file lock
// so concurrent suites share it). Returns the model directory; on "" either
// *skip_reason says why the test must skip (binary not built, shared data
// missing) or, when it is empty, generating the model failed.
std::string ServeTestModel(std::string* skip_reason);

}  // namespace imi::testing

#endif  // IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_
