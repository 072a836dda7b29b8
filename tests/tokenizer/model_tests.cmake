# imi_test(...) entries for the model and decoder suites.
imi_test(byte_level_table_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/byte_level_table_test.cc
  DEPS imi_tokenizer)
imi_test(model_parity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_parity_test.cc
  DEPS imi_tokenizer)
imi_test(decoders_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/decoders_test.cc
  DEPS imi_tokenizer)
imi_test(models_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/models_test.cc
  DEPS imi_tokenizer)
# Live comparison with the reference library (node + @anush008/tokenizers).
imi_test(live_parity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/live_parity_test.cc ${CMAKE_CURRENT_LIST_DIR}/tokenizer_files.cc
  DEPS imi_tokenizer
  LABELS live)
imi_test(model_threads_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/model_threads_test.cc
  DEPS imi_tokenizer)
imi_test(byte_trie_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/byte_trie_test.cc
  DEPS imi_tokenizer)
imi_test(tokenizer_clone_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/clone_test.cc
  DEPS imi_tokenizer nlohmann_json::nlohmann_json)
