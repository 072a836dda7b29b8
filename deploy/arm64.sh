#!/usr/bin/env bash
# linux/arm64 cross build of imi and its test suite under qemu-user.
#
#   bash deploy/arm64.sh setup            sysroot + ONNX Runtime arm64 + qemu binfmt (root)
#   bash deploy/arm64.sh build [DIR]      cross-compile into DIR (default build-arm64)
#   bash deploy/arm64.sh test [CTEST ARGS...]   ctest in the build dir, every test under qemu
#   bash deploy/arm64.sh ci               setup + build + test the fixed CI subset (CI_TARGETS)
#   bash deploy/arm64.sh all              setup + build + the whole suite
#
# Toolchain: Debian's cross compiler (crossbuild-essential-arm64, from
# scripts/apt-packages.txt). Libraries: the arm64 builds of the SAME -dev
# packages the host build uses: every package in scripts/apt-packages.txt whose
# name ends in -dev and whose line does not say "host-only" is downloaded for
# arm64 with its dependency closure (a private apt configuration under
# .deps/arm64/apt; the machine's apt and dpkg are not touched: no foreign
# architecture is added) and unpacked into .deps/arm64/sysroot. A new library
# dependency is therefore one line in scripts/apt-packages.txt. ONNX Runtime:
# linux/arm64 libonnxruntime.so.1 from the same npm tarball setup.sh pinned.
#
# Tests run under qemu-aarch64-static: CMake's CMAKE_CROSSCOMPILING_EMULATOR
# for the test executables, and binfmt_misc (registered by `setup`) for the
# imi binary the black-box suites start; QEMU_LD_PREFIX points both at the
# sysroot.
#
# Environment: IMI_ARM64_BUILD_DIR (default build-arm64), IMI_JOBS (default 2),
# IMI_TEST_TIMEOUT seconds per test (default 1200).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly ARM_DIR="${REPO_DIR}/.deps/arm64"
readonly SYSROOT="${ARM_DIR}/sysroot"
readonly APT_DIR="${ARM_DIR}/apt"
readonly BUILD_DIR="${IMI_ARM64_BUILD_DIR:-${REPO_DIR}/build-arm64}"
readonly JOBS="${IMI_JOBS:-2}"
readonly TEST_TIMEOUT="${IMI_TEST_TIMEOUT:-1200}"
readonly ORT_VERSION="1.21.0"
readonly ORT_TARBALL="${REPO_DIR}/.deps/downloads/onnxruntime-node-${ORT_VERSION}.tgz"
readonly QEMU="/usr/bin/qemu-aarch64-static"
readonly BINFMT_CONF="/usr/lib/binfmt.d/qemu-aarch64.conf"

# The CI subset (README, "Tests"): what building and emulating fits in CI's
# budget: the binary, CPU detection + INT8 variant choice (model_qint8_arm64),
# the embedder's text-to-vector parity with numpy and Node, INT8 against FP32,
# its error, CLI and cache suites, and the serve black-box suite. Left out of
# CI: the id-level parity test (the same models and references as the
# text-level one, 8 minutes under qemu). `all` builds and runs every suite.
readonly CI_TARGETS="imi model_variant_test model_embed_test server_blackbox_test"
readonly CI_TESTS='^(VariantTest|CpuFeaturesTest|EmbedErrorsTest|EmbedCliTest|VariantAutoTest|OrtCacheTest|ServeBlackBoxTest)[.]|^EmbedParityTest[.](EmbedFromText|Int8Variant)'


say() { printf 'arm64: %s\n' "$*"; }
die() {
  printf 'arm64: FAILED %s\n' "$*" >&2
  exit 1
}

# The -dev packages of scripts/apt-packages.txt that the arm64 build needs.
library_packages() { bash "${REPO_DIR}/deploy/dev-packages.sh"; }

arm_apt() {
  apt-get \
    -o APT::Architecture=arm64 \
    -o APT::Architectures::=arm64 \
    -o Dir::State::status="${APT_DIR}/status" \
    -o Dir::Etc::sourcelist="${APT_DIR}/sources.list" \
    -o Dir::Etc::sourceparts=- \
    -o Dir::Etc::preferencesparts=- \
    -o Dir::State::Lists="${APT_DIR}/lists" \
    -o Dir::Cache="${APT_DIR}/cache" \
    -o Dir::Cache::pkgcache= \
    -o Dir::Cache::srcpkgcache= \
    -o Debug::NoLocking=1 \
    -o APT::Sandbox::User=root \
    -o APT::Install-Recommends=false \
    "$@"
}

# The machine's Debian suites (main, updates, security), as one-line sources.
write_sources() {
  local out="$1" uris="" suites=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822 stanzas: one "deb URI SUITE main" line per URI and suite.
    awk '
      /^URIs:/ { uris = ""; for (i = 2; i <= NF; i++) uris = uris " " $i }
      /^Suites:/ { suites = ""; for (i = 2; i <= NF; i++) suites = suites " " $i }
      /^$/ { emit() }
      END { emit() }
      function emit(  u, s, nu, ns, us, ss) {
        if (uris == "" || suites == "") return
        nu = split(uris, us, " "); ns = split(suites, ss, " ")
        for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++)
          printf "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", us[u], ss[s]
        uris = ""; suites = ""
      }' /etc/apt/sources.list.d/debian.sources >"${out}"
  fi
  if [[ ! -s "${out}" && -r /etc/apt/sources.list ]]; then
    awk '$1 == "deb" && $0 ~ /debian/ { $1 = "deb [arch=arm64]"; print }' /etc/apt/sources.list >"${out}"
  fi
  [[ -s "${out}" ]] || printf 'deb [arch=arm64] http://deb.debian.org/debian bookworm main\n' >"${out}"
}

# Absolute symlinks inside the sysroot point at the host; make them relative.
relativise_links() {
  local link target
  while IFS= read -r -d '' link; do
    target="$(readlink "${link}")"
    [[ "${target}" == /* ]] || continue
    ln -sfn "$(realpath -m --relative-to="$(dirname "${link}")" "${SYSROOT}${target}")" "${link}"
  done < <(find "${SYSROOT}" -type l -print0)
}

step_sysroot() {
  command -v aarch64-linux-gnu-g++ >/dev/null || die "sysroot: aarch64-linux-gnu-g++ missing (run scripts/setup.sh: crossbuild-essential-arm64)"
  [[ -x "${QEMU}" ]] || die "sysroot: ${QEMU} missing (run scripts/setup.sh: qemu-user-static)"
  local packages stamp_text
  mapfile -t packages < <(library_packages)
  ((${#packages[@]} > 0)) || die "sysroot: no -dev packages found in scripts/apt-packages.txt"
  mkdir -p "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial"
  write_sources "${APT_DIR}/sources.list.new"
  stamp_text="$(printf '%s\n' "${packages[@]}" | cat - "${APT_DIR}/sources.list.new" | sha256sum | cut -d' ' -f1)"
  if [[ -f "${SYSROOT}/.stamp" && "$(cat "${SYSROOT}/.stamp")" == "${stamp_text}" ]]; then
    say "sysroot: present (${#packages[@]} -dev packages) in ${SYSROOT}"
    rm -f "${APT_DIR}/sources.list.new"
    return
  fi
  mv "${APT_DIR}/sources.list.new" "${APT_DIR}/sources.list"
  : >"${APT_DIR}/status"
  say "sysroot: reading Debian's arm64 package index (private apt configuration in ${APT_DIR})"
  arm_apt update >"${ARM_DIR}/apt.log" 2>&1 || { tail -20 "${ARM_DIR}/apt.log" >&2; die "sysroot: apt-get update (arm64) failed"; }
  say "sysroot: downloading ${#packages[@]} arm64 -dev packages and their dependencies: ${packages[*]}"
  rm -f "${APT_DIR}"/cache/archives/*.deb
  arm_apt install --download-only -y "${packages[@]}" >>"${ARM_DIR}/apt.log" 2>&1 ||
    { tail -20 "${ARM_DIR}/apt.log" >&2; die "sysroot: could not resolve or download the arm64 packages (every -dev package must exist for arm64 in Debian; see ${ARM_DIR}/apt.log)"; }
  local stage="${SYSROOT}.staging" deb count=0
  rm -rf "${stage}"
  mkdir -p "${stage}"
  for deb in "${APT_DIR}"/cache/archives/*.deb; do
    dpkg-deb -x "${deb}" "${stage}" || die "sysroot: cannot unpack $(basename "${deb}")"
    count=$((count + 1))
  done
  rm -rf "${SYSROOT}"
  mv "${stage}" "${SYSROOT}"
  relativise_links
  # The loader looks for its cache under the prefix first; an empty one keeps
  # it off the host's /etc/ld.so.cache.
  mkdir -p "${SYSROOT}/etc"
  : >"${SYSROOT}/etc/ld.so.cache"
  printf '%s\n' "${stamp_text}" >"${SYSROOT}/.stamp"
  say "sysroot: ${count} arm64 packages unpacked into ${SYSROOT} ($(du -sh "${SYSROOT}" | cut -f1))"
}

step_onnxruntime() {
  local dir="${ARM_DIR}/onnxruntime" member="package/bin/napi-v3/linux/arm64/libonnxruntime.so.1"
  if [[ -f "${dir}/lib/libonnxruntime.so.1" && -f "${dir}/include/onnxruntime_c_api.h" &&
    "$(cat "${dir}/.stamp" 2>/dev/null)" == "$(sha256sum "${ORT_TARBALL}" | cut -d' ' -f1)" ]]; then
    say "onnxruntime: arm64 ${ORT_VERSION} present in ${dir}"
    return
  fi
  [[ -f "${ORT_TARBALL}" ]] || die "onnxruntime: ${ORT_TARBALL} missing (run scripts/setup.sh first)"
  [[ -f "${REPO_DIR}/.deps/onnxruntime/include/onnxruntime_c_api.h" ]] || die "onnxruntime: headers missing (run scripts/setup.sh first)"
  rm -rf "${dir}" "${ARM_DIR}/ort-unpack"
  mkdir -p "${dir}/lib" "${ARM_DIR}/ort-unpack"
  tar -xzf "${ORT_TARBALL}" -C "${ARM_DIR}/ort-unpack" "${member}" || die "onnxruntime: tarball has no ${member}"
  mv "${ARM_DIR}/ort-unpack/${member}" "${dir}/lib/libonnxruntime.so.1"
  ln -s libonnxruntime.so.1 "${dir}/lib/libonnxruntime.so"
  cp -r "${REPO_DIR}/.deps/onnxruntime/include" "${dir}/include"
  rm -rf "${ARM_DIR}/ort-unpack"
  sha256sum "${ORT_TARBALL}" | cut -d' ' -f1 >"${dir}/.stamp"
  say "onnxruntime: arm64 ${ORT_VERSION} from $(basename "${ORT_TARBALL}") into ${dir}"
}

# The black-box suites exec the arm64 imi binary; the kernel hands it to qemu
# through binfmt_misc (F: the interpreter is opened now, so it also works in a
# chroot).
step_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  if [[ ! -e "${dir}/register" ]]; then
    mount -t binfmt_misc binfmt_misc "${dir}" 2>/dev/null ||
      die "binfmt: cannot mount binfmt_misc (run as root on a machine that allows it); the black-box suites exec arm64 binaries"
  fi
  if [[ -e "${dir}/qemu-aarch64" ]]; then
    say "binfmt: qemu-aarch64 registered"
    return
  fi
  [[ -r "${BINFMT_CONF}" ]] || die "binfmt: ${BINFMT_CONF} missing (qemu-user-static)"
  cat "${BINFMT_CONF}" >"${dir}/register" || die "binfmt: registering ${BINFMT_CONF} failed"
  say "binfmt: registered qemu-aarch64 from ${BINFMT_CONF}"
}

step_setup() {
  [[ "$(id -u)" == 0 ]] || die "setup: run as root (binfmt_misc registration)"
  mkdir -p "${ARM_DIR}"
  exec 8>"${ARM_DIR}/.lock"
  flock 8 || die "setup: cannot lock ${ARM_DIR}/.lock"
  step_sysroot
  step_onnxruntime
  step_binfmt
}

step_build() {
  local dir="${1:-${BUILD_DIR}}" targets="${2:-}"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  say "configure: ${dir} (Ninja, Release, deploy/arm64-toolchain.cmake)"
  cmake "${launcher[@]}" -S "${REPO_DIR}" -B "${dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="${REPO_DIR}/deploy/arm64-toolchain.cmake" \
    -DIMI_ARM64_SYSROOT="${SYSROOT}" -DIMI_DEPS_DIR="${ARM_DIR}" \
    -DIMI_BUILD_BENCH=OFF >"${ARM_DIR}/configure.log" 2>&1 ||
    { tail -30 "${ARM_DIR}/configure.log" >&2; die "configure: cmake failed (log: ${ARM_DIR}/configure.log)"; }
  say "build: ninja -j${JOBS} ${targets:-(everything)}"
  # shellcheck disable=SC2086 # a list of targets
  ninja -C "${dir}" -j"${JOBS}" ${targets} || die "build: ninja failed"
  readelf -h "${dir}/imi" | grep -q 'AArch64' || die "build: ${dir}/imi is not an arm64 executable"
}

step_test() {
  export QEMU_LD_PREFIX="${SYSROOT}"
  say "ctest under qemu-aarch64 ($(${QEMU} --version | head -1)), per-test timeout ${TEST_TIMEOUT}s"
  ctest --test-dir "${BUILD_DIR}" --output-on-failure --timeout "${TEST_TIMEOUT}" "$@"
}

case "${1:-}" in
  setup) step_setup ;;
  build) step_build "${2:-}" ;;
  test) shift; step_test "$@" ;;
  ci) step_setup; step_build "${BUILD_DIR}" "${CI_TARGETS}"; step_test --tests-regex "${CI_TESTS}" ;;
  all) step_setup; step_build; step_test ;;
  packages) library_packages ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
