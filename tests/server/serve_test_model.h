#ifndef IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_
#define IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_

#include <string>

namespace imi::testing {

// Path of the built imi binary the black-box tests run; the environment
// variable IMI_TEST_BINARY overrides it (to run a suite against another
// build, e.g. to check that a regression test fails on an older binary).
std::string ImiBinary();

// A generated model the black-box tests serve, made once per build directory
// by tests/server/make_serve_model.sh (serialised with a file lock so
// concurrent suites share it): "tiny-bert" (2 layers, 32 dimensions) or
// "bert-384" (MiniLM-L12's shape, 384 dimensions). Returns the model
// directory; on "" either *skip_reason says why the test must skip (binary
// not built, shared data missing) or, when it is empty, generating the model
// failed.
std::string ServeTestModel(std::string* skip_reason, const std::string& name = "tiny-bert");

}  // namespace imi::testing

#endif  // IMI_TESTS_SERVER_SERVE_TEST_MODEL_H_
