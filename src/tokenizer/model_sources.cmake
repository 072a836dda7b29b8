# Sources of the subword models and decoders (owned by the models work).
set(IMI_TOKENIZER_MODEL_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/byte_level_table.cc
)
