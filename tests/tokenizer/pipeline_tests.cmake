# imi_test(...) entries for the pipeline, loader and parity suites.
imi_test(tokenizer_parity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_parity_test.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json
  LABELS parity)
imi_test(pipeline_components_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_components_test.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json)
imi_test(tokenizer_pipeline_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_pipeline_test.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json)
imi_test(tokenize_cli_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenize_cli_test.cc
  DEPS nlohmann_json::nlohmann_json
  LABELS cli)
# The test runs the binary, so building it builds imi first.
add_dependencies(tokenize_cli_test imi)
# Truncation from a prefix equals truncating the whole text (live corpora, every tokenizer).
imi_test(truncated_prefix_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/truncated_prefix_test.cc ${CMAKE_CURRENT_LIST_DIR}/tokenizer_files.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json
  LABELS parity)
# The binary tokenizer cache: JSON and cache encode the corpora identically; broken files are rebuilt.
imi_test(tokenizer_cache_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tokenizer_cache_test.cc ${CMAKE_CURRENT_LIST_DIR}/tokenizer_files.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json
  LABELS tokenizer)
