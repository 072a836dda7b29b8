# Sources of the tokenizer pipeline (loader, normalizers, pre-tokenizers,
# added tokens, post-processors, truncation/padding).
set(IMI_TOKENIZER_PIPELINE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/added_vocabulary.cc
  ${CMAKE_CURRENT_LIST_DIR}/encoding_ops.cc
  ${CMAKE_CURRENT_LIST_DIR}/hf_tokenizer.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_fields.cc
  ${CMAKE_CURRENT_LIST_DIR}/normalized_string.cc
  ${CMAKE_CURRENT_LIST_DIR}/normalizers.cc
  ${CMAKE_CURRENT_LIST_DIR}/onig_regex.cc
  ${CMAKE_CURRENT_LIST_DIR}/post_processors.cc
  ${CMAKE_CURRENT_LIST_DIR}/pre_tokenizers.cc
  ${CMAKE_CURRENT_LIST_DIR}/precompiled_charsmap.cc
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_loader.cc
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/truncated_prefix.cc
  ${CMAKE_CURRENT_LIST_DIR}/unicode_props.cc
)
