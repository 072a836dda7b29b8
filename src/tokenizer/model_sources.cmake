# Sources of the subword models and decoders (owned by the models work).
set(IMI_TOKENIZER_MODEL_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/byte_level_table.cc
  ${CMAKE_CURRENT_LIST_DIR}/byte_trie.cc
  ${CMAKE_CURRENT_LIST_DIR}/vocab_map.cc
  ${CMAKE_CURRENT_LIST_DIR}/wordpiece.cc
  ${CMAKE_CURRENT_LIST_DIR}/wordlevel.cc
  ${CMAKE_CURRENT_LIST_DIR}/serde_float.cc
  ${CMAKE_CURRENT_LIST_DIR}/unigram.cc
  ${CMAKE_CURRENT_LIST_DIR}/bpe.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_from_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/decoder_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/decoders.cc
)
