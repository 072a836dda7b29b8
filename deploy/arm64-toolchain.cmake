# CMake toolchain for linux/arm64 (aarch64) with Debian's cross toolchain
# (crossbuild-essential-arm64) and the arm64 sysroot deploy/arm64.sh builds
# from Debian's arm64 packages. Tests run under qemu-user (qemu-user-static)
# through CMAKE_CROSSCOMPILING_EMULATOR, gtest discovery included.
#
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=deploy/arm64-toolchain.cmake \
#     -DIMI_ARM64_SYSROOT=$PWD/.deps/arm64/sysroot -DIMI_DEPS_DIR=$PWD/.deps/arm64
# (deploy/arm64.sh build does exactly this.)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# try_compile projects see the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES IMI_ARM64_SYSROOT)
if(NOT IMI_ARM64_SYSROOT)
  set(IMI_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../.deps/arm64/sysroot")
endif()
get_filename_component(IMI_ARM64_SYSROOT "${IMI_ARM64_SYSROOT}" ABSOLUTE)
if(NOT EXISTS "${IMI_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "no arm64 sysroot at ${IMI_ARM64_SYSROOT}: run `bash deploy/arm64.sh sysroot` first")
endif()

# glibc and libstdc++ come from the cross toolchain (/usr/aarch64-linux-gnu);
# every other library and header from the sysroot.
set(CMAKE_SYSROOT "${IMI_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${IMI_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The linker resolves the libraries' own dependencies in the sysroot's
# multiarch directories (not searched by default for a cross ld).
foreach(dir lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu)
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${IMI_ARM64_SYSROOT}/${dir}")
  string(APPEND CMAKE_SHARED_LINKER_FLAGS_INIT " -Wl,-rpath-link,${IMI_ARM64_SYSROOT}/${dir}")
endforeach()

# pkg-config reads the sysroot's .pc files and prefixes their paths.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${IMI_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${IMI_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${IMI_ARM64_SYSROOT}/usr/share/pkgconfig")

# Test executables (and gtest discovery) run under qemu-user; the sysroot is
# the root for the dynamic loader and the libraries.
find_program(IMI_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${IMI_QEMU_AARCH64};-L;${IMI_ARM64_SYSROOT}")
