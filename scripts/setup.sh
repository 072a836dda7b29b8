#!/usr/bin/env bash
# Installs everything imi builds, tests and benchmarks with, on Debian 12 as
# root. Idempotent: a second run checks each step's stamp and changes nothing.
#
#   1. apt      Debian packages listed in scripts/apt-packages.txt (+ nodejs/npm
#               when npm is missing)
#   2. ort-lib  ONNX Runtime's shared library from npm onnxruntime-node
#   3. ort-inc  ONNX Runtime's headers from Debian trixie's libonnxruntime-dev
#   4. node     npm references (scripts/node) into .deps/node, client libraries
#               (scripts/clients) into .deps/clients
#   5. pgvector pgvector built from Debian trixie's source package
#
# Everything project-local goes to .deps/ (ignored by git); pgvector goes into
# the system's PostgreSQL 15. Pins and checksums: see docs/setup.md.
set -euo pipefail

# --- Pins (update together with docs/setup.md) --------------------------------
readonly ORT_VERSION="1.21.0"
readonly ORT_NPM_TARBALL="onnxruntime-node-${ORT_VERSION}.tgz"
readonly ORT_NPM_SHA256="c711a4048a8b460a70de25a5008b1628e3773878ef9deec1dd4a4ccab46de01a"
readonly ORT_DEB_VERSION="1.21.0+dfsg-1"
# Headers are architecture-independent; the amd64 .deb is used on every host.
readonly ORT_DEB="libonnxruntime-dev_${ORT_DEB_VERSION}_amd64.deb"
readonly ORT_DEB_SHA256="14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08"
readonly PGVECTOR_VERSION="0.8.0"
readonly PGVECTOR_SRC_VERSION="0.8.0-1"
readonly PGVECTOR_ORIG="pgvector_${PGVECTOR_VERSION}.orig.tar.gz"
readonly PGVECTOR_ORIG_SHA256="867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0"
readonly PG_MAJOR="15"
readonly PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
readonly TRIXIE_SUITE="trixie"

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly DEPS_DIR="${REPO_DIR}/.deps"
readonly LOG_DIR="${DEPS_DIR}/logs"
readonly DOWNLOAD_DIR="${DEPS_DIR}/downloads"
readonly APT_DIR="${DEPS_DIR}/apt-trixie"

export DEBIAN_FRONTEND=noninteractive
# npm's cache stays inside the project (works without HOME, shared by npm pack
# and npm ci so each tarball is fetched once).
export npm_config_cache="${DEPS_DIR}/npm-cache"
# Node trusts only its built-in CAs; add the system's bundle so a CA installed
# with update-ca-certificates (e.g. a proxy's) is honoured as it is by apt.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

say() { printf 'setup: %s\n' "$*"; }
die() {
  printf 'setup: FAILED %s\n' "$*" >&2
  exit 1
}

# Runs a command with its output in the step's log; on failure prints the log's
# tail and dies naming the step.
run_logged() {
  local step="$1"
  shift
  local log="${LOG_DIR}/${step}.log"
  if ! "$@" >>"${log}" 2>&1; then
    tail -n 20 "${log}" >&2 || true
    die "${step}: command failed: $* (full log: ${log})"
  fi
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verify_sha256() {
  local step="$1" file="$2" want="$3" got
  got="$(sha256_of "${file}")"
  if [[ "${got}" != "${want}" ]]; then
    rm -f "${file}"
    die "${step}: checksum mismatch for $(basename "${file}"): got ${got}, expected ${want} (file removed; re-run, or update the pin in scripts/setup.sh and docs/setup.md)"
  fi
}

package_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# --- Step 1: Debian packages -------------------------------------------------
step_apt() {
  local wanted=() missing=() pkg
  while read -r pkg || [[ -n "${pkg}" ]]; do
    pkg="${pkg%%#*}"
    pkg="${pkg//[[:space:]]/}"
    [[ -n "${pkg}" ]] && wanted+=("${pkg}")
  done <"${REPO_DIR}/scripts/apt-packages.txt"
  if ! command -v npm >/dev/null 2>&1; then
    wanted+=(nodejs npm)
  fi
  for pkg in "${wanted[@]}"; do
    package_installed "${pkg}" || missing+=("${pkg}")
  done
  if ((${#missing[@]} == 0)); then
    say "apt: all ${#wanted[@]} packages present"
    return
  fi
  say "apt: installing ${#missing[@]} packages: ${missing[*]}"
  run_logged apt apt-get update
  run_logged apt apt-get install -y "${missing[@]}"
  command -v npm >/dev/null 2>&1 || die "apt: npm still missing after installing nodejs and npm"
}

# --- Private apt configuration for Debian trixie ------------------------------
# The machine's own sources are never touched: a sources file, lists and cache
# of our own live under .deps/apt-trixie.
debian_mirror() {
  local uri=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z "${uri}" && -r /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file|ftp):/) { print $i; exit } }' \
      /etc/apt/sources.list)"
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

TRIXIE_READY=0
trixie_apt() {
  apt-get \
    -o Dir::Etc::sourcelist="${APT_DIR}/trixie.sources" \
    -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="${APT_DIR}/lists" \
    -o Dir::Cache="${APT_DIR}/cache" \
    -o Dir::Cache::pkgcache= \
    -o Dir::Cache::srcpkgcache= \
    -o APT::Sandbox::User=root \
    -o APT::Architectures=amd64 \
    "$@"
}

prepare_trixie() {
  local step="$1"
  ((TRIXIE_READY)) && return
  mkdir -p "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial"
  cat >"${APT_DIR}/trixie.sources" <<EOF
Types: deb deb-src
URIs: $(debian_mirror)
Suites: ${TRIXIE_SUITE}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  say "${step}: reading Debian ${TRIXIE_SUITE} package index (private apt configuration)"
  run_logged "${step}" trixie_apt update
  TRIXIE_READY=1
}

# --- Step 2 and 3: ONNX Runtime -----------------------------------------------
readonly ORT_PREFIX="${DEPS_DIR}/onnxruntime"
readonly ORT_STAMP="${ORT_PREFIX}/.stamp"
readonly ORT_STAMP_TEXT="onnxruntime ${ORT_VERSION} lib ${ORT_NPM_SHA256} headers ${ORT_DEB_SHA256}"

ort_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "ort-lib: no ONNX Runtime ${ORT_VERSION} build in onnxruntime-node for CPU '$(uname -m)' (x86_64 and aarch64 only)" ;;
  esac
}

fetch_ort_tarball() {
  local file="${DOWNLOAD_DIR}/${ORT_NPM_TARBALL}"
  if [[ -f "${file}" && "$(sha256_of "${file}")" == "${ORT_NPM_SHA256}" ]]; then
    return
  fi
  say "ort-lib: downloading onnxruntime-node@${ORT_VERSION} from npm"
  rm -f "${file}"
  (cd "${DOWNLOAD_DIR}" && run_logged ort-lib npm pack --loglevel=warn "onnxruntime-node@${ORT_VERSION}")
  [[ -f "${file}" ]] || die "ort-lib: npm pack did not produce ${ORT_NPM_TARBALL}"
  verify_sha256 ort-lib "${file}" "${ORT_NPM_SHA256}"
}

fetch_ort_deb() {
  local file="${DOWNLOAD_DIR}/${ORT_DEB}"
  if [[ -f "${file}" && "$(sha256_of "${file}")" == "${ORT_DEB_SHA256}" ]]; then
    return
  fi
  prepare_trixie ort-inc
  say "ort-inc: downloading libonnxruntime-dev ${ORT_DEB_VERSION} from Debian ${TRIXIE_SUITE}"
  rm -f "${file}"
  (cd "${DOWNLOAD_DIR}" && run_logged ort-inc trixie_apt download "libonnxruntime-dev:amd64=${ORT_DEB_VERSION}")
  [[ -f "${file}" ]] || die "ort-inc: apt-get download did not produce ${ORT_DEB}"
  verify_sha256 ort-inc "${file}" "${ORT_DEB_SHA256}"
}

step_onnxruntime() {
  if [[ -f "${ORT_STAMP}" && "$(cat "${ORT_STAMP}")" == "${ORT_STAMP_TEXT}" &&
    -f "${ORT_PREFIX}/lib/libonnxruntime.so.1" && -f "${ORT_PREFIX}/include/onnxruntime_c_api.h" ]]; then
    say "onnxruntime: ${ORT_VERSION} present in ${ORT_PREFIX}"
    return
  fi
  local arch
  arch="$(ort_arch)"
  fetch_ort_tarball
  fetch_ort_deb

  local stage="${DEPS_DIR}/onnxruntime.staging"
  rm -rf "${stage}"
  mkdir -p "${stage}/lib" "${stage}/include" "${stage}/unpack-lib" "${stage}/unpack-deb"
  local member="package/bin/napi-v3/linux/${arch}/libonnxruntime.so.1"
  tar -xzf "${DOWNLOAD_DIR}/${ORT_NPM_TARBALL}" -C "${stage}/unpack-lib" "${member}" ||
    die "ort-lib: ${ORT_NPM_TARBALL} has no ${member}"
  cp "${stage}/unpack-lib/${member}" "${stage}/lib/libonnxruntime.so.1"
  ln -s libonnxruntime.so.1 "${stage}/lib/libonnxruntime.so"
  run_logged ort-inc dpkg-deb -x "${DOWNLOAD_DIR}/${ORT_DEB}" "${stage}/unpack-deb"
  [[ -f "${stage}/unpack-deb/usr/include/onnxruntime/onnxruntime_c_api.h" ]] ||
    die "ort-inc: ${ORT_DEB} has no usr/include/onnxruntime/onnxruntime_c_api.h"
  cp -r "${stage}/unpack-deb/usr/include/onnxruntime/." "${stage}/include/"
  rm -rf "${stage}/unpack-lib" "${stage}/unpack-deb"
  printf '%s\n' "${ORT_STAMP_TEXT}" >"${stage}/.stamp"
  rm -rf "${ORT_PREFIX}"
  mv "${stage}" "${ORT_PREFIX}"
  say "onnxruntime: installed ${ORT_VERSION} (${arch}) into ${ORT_PREFIX}"
}

# --- Step 4: npm packages ------------------------------------------------------
# scripts/node: tokenizer and ONNX Runtime references, Swagger UI -> .deps/node
# scripts/clients: client libraries, browser driver, OpenAPI linter -> .deps/clients
# Each is an `npm ci` of a committed lock file, redone when either file changes.
step_npm() {
  local label="$1" src="${REPO_DIR}/scripts/$1" dest="${DEPS_DIR}/$2"
  local want
  want="$(cat "${src}/package.json" "${src}/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [[ -f "${dest}/.stamp" && "$(cat "${dest}/.stamp")" == "${want}" &&
    -d "${dest}/node_modules" ]]; then
    say "${label}: npm packages present in ${dest}/node_modules"
    return
  fi
  say "${label}: installing npm packages (npm ci) into ${dest}"
  mkdir -p "${dest}"
  rm -f "${dest}/.stamp"
  cp "${src}/package.json" "${src}/package-lock.json" "${dest}/"
  # The onnxruntime-node install script would fetch GPU parts; imi needs none.
  (cd "${dest}" &&
    ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
      run_logged "${label}" npm ci --ignore-scripts --no-audit --no-fund)
  printf '%s\n' "${want}" >"${dest}/.stamp"
}

# --- Step 5: pgvector -----------------------------------------------------------
step_pgvector() {
  local control="/usr/share/postgresql/${PG_MAJOR}/extension/vector.control"
  if [[ -f "${control}" ]] && grep -q "default_version = '${PGVECTOR_VERSION}'" "${control}" &&
    [[ -f "/usr/lib/postgresql/${PG_MAJOR}/lib/vector.so" ]]; then
    say "pgvector: ${PGVECTOR_VERSION} present in PostgreSQL ${PG_MAJOR}"
    return
  fi
  [[ -x "${PG_CONFIG}" ]] || die "pgvector: ${PG_CONFIG} missing (postgresql-server-dev-${PG_MAJOR} should come from step apt)"
  local file="${DOWNLOAD_DIR}/${PGVECTOR_ORIG}"
  if ! [[ -f "${file}" && "$(sha256_of "${file}")" == "${PGVECTOR_ORIG_SHA256}" ]]; then
    prepare_trixie pgvector
    say "pgvector: downloading source package pgvector ${PGVECTOR_SRC_VERSION} from Debian ${TRIXIE_SUITE}"
    rm -f "${file}"
    (cd "${DOWNLOAD_DIR}" &&
      run_logged pgvector trixie_apt source --download-only "pgvector=${PGVECTOR_SRC_VERSION}")
    [[ -f "${file}" ]] || die "pgvector: apt-get source did not produce ${PGVECTOR_ORIG}"
    verify_sha256 pgvector "${file}" "${PGVECTOR_ORIG_SHA256}"
  fi
  local build="${DEPS_DIR}/build/pgvector"
  rm -rf "${build}"
  mkdir -p "${build}"
  tar -xzf "${file}" -C "${build}" --strip-components=1 || die "pgvector: cannot unpack ${PGVECTOR_ORIG}"
  say "pgvector: building ${PGVECTOR_VERSION} against PostgreSQL ${PG_MAJOR}"
  # OPTFLAGS= keeps the build portable (no -march=native).
  run_logged pgvector make -C "${build}" PG_CONFIG="${PG_CONFIG}" OPTFLAGS=
  run_logged pgvector make -C "${build}" PG_CONFIG="${PG_CONFIG}" install
  grep -q "default_version = '${PGVECTOR_VERSION}'" "${control}" ||
    die "pgvector: ${control} does not declare version ${PGVECTOR_VERSION} after make install"
  say "pgvector: installed ${PGVECTOR_VERSION}"
}

main() {
  [[ "$(id -u)" == 0 ]] || die "start: run as root (e.g. sudo bash scripts/setup.sh): it installs Debian packages"
  command -v apt-get >/dev/null 2>&1 || die "start: apt-get not found; imi's setup targets Debian 12"
  mkdir -p "${DEPS_DIR}" "${LOG_DIR}" "${DOWNLOAD_DIR}"
  # Concurrent runs (several builds of one checkout) wait for each other.
  exec 9>"${DEPS_DIR}/.setup.lock"
  flock 9 || die "start: cannot lock ${DEPS_DIR}/.setup.lock"
  rm -f "${LOG_DIR}"/*.log
  # IMI_SETUP_STEPS runs a subset, e.g. "onnxruntime node" (deploy/Dockerfile).
  local step
  for step in ${IMI_SETUP_STEPS:-apt onnxruntime node clients pgvector}; do
    case "${step}" in
      apt | onnxruntime | pgvector) "step_${step}" ;;
      node | clients) step_npm "${step}" "${step}" ;;
      *) die "start: unknown step '${step}' in IMI_SETUP_STEPS (apt, onnxruntime, node, clients, pgvector)" ;;
    esac
  done
  say "done (logs in ${LOG_DIR})"
}

main "$@"
