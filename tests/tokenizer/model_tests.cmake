# imi_test(...) entries for the model and decoder suites.
imi_test(byte_level_table_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/byte_level_table_test.cc
  DEPS imi_tokenizer)
