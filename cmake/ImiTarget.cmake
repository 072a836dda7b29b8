# imi_library(NAME SOURCES... [DEPS ...]): one static library per component,
# with the project's warning flags set per target (never globally).
# -ffp-contract=off: no fused multiply-adds the source did not ask for. The
# x86-64 baseline has no FMA, arm64 does, and GCC fuses there by default:
# scores would then differ in the last bits between architectures and
# between two code paths of one build (the embedded and PostgreSQL BM25 sums
# are compared bit for bit).
function(imi_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -ffp-contract=off)
endfunction()

function(imi_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  imi_set_warnings(${name})
endfunction()

# imi_test(NAME SOURCES... DEPS ...): a GoogleTest executable registered with CTest.
function(imi_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    IMI_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    IMI_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
    IMI_BINARY_DIR="${CMAKE_BINARY_DIR}")
  imi_set_warnings(${name})
  # A cross build's tests run under an emulator (deploy/arm64.sh): label them
  # with the target, and give discovery the emulator's time.
  set(discovery_timeout 60)
  if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    list(APPEND ARG_LABELS arm64)
    set(discovery_timeout 300)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT ${discovery_timeout} PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
