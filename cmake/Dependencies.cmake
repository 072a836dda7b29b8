# Third-party libraries. System ones come from Debian packages installed by
# scripts/setup.sh; ONNX Runtime comes from the project-local prefix .deps/.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

# ONNX Runtime: library from npm onnxruntime-node, headers from Debian trixie's
# libonnxruntime-dev, both unpacked into ${IMI_DEPS_DIR}/onnxruntime by
# scripts/setup.sh (pins in docs/setup.md).
set(IMI_ONNXRUNTIME_DIR "${IMI_DEPS_DIR}/onnxruntime")
if(NOT EXISTS "${IMI_ONNXRUNTIME_DIR}/lib/libonnxruntime.so.1"
   OR NOT EXISTS "${IMI_ONNXRUNTIME_DIR}/include/onnxruntime_c_api.h")
  message(FATAL_ERROR
    "ONNX Runtime not found in ${IMI_ONNXRUNTIME_DIR}. "
    "Run `sudo bash scripts/setup.sh` from the repository root first, "
    "or point -DIMI_DEPS_DIR=<dir> at a prefix that has onnxruntime/{include,lib}.")
endif()
add_library(onnxruntime::onnxruntime SHARED IMPORTED GLOBAL)
set_target_properties(onnxruntime::onnxruntime PROPERTIES
  IMPORTED_LOCATION "${IMI_ONNXRUNTIME_DIR}/lib/libonnxruntime.so.1"
  IMPORTED_SONAME "libonnxruntime.so.1"
  INTERFACE_INCLUDE_DIRECTORIES "${IMI_ONNXRUNTIME_DIR}/include")
# Binaries find libonnxruntime.so.1 in .deps without LD_LIBRARY_PATH, both in
# the build tree (CMake's build RPATH) and when installed.
list(APPEND CMAKE_BUILD_RPATH "${IMI_ONNXRUNTIME_DIR}/lib")
list(APPEND CMAKE_INSTALL_RPATH "${IMI_ONNXRUNTIME_DIR}/lib")
