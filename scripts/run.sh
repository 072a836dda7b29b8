#!/usr/bin/env bash
# imi's main job on the embedded default: installs dependencies, builds
# build/imi and runs each pipeline step that this build of imi has. The
# README's "run" command. Add a step by writing step_<name> and listing it in
# STEPS; a step whose subcommand is absent from the binary is reported and
# skipped.
#
# Environment: IMI_BUILD_DIR (default build), IMI_JOBS (default 2),
# IMI_SKIP_SETUP=1 to skip scripts/setup.sh.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly BUILD_DIR="${IMI_BUILD_DIR:-build}"
readonly JOBS="${IMI_JOBS:-2}"
readonly EXAMPLES_DIR="${REPO_DIR}/examples"
IMI=""

say() { printf 'run: %s\n' "$*"; }
die() {
  printf 'run: FAILED %s\n' "$*" >&2
  exit 1
}

# True when `imi --help` lists subcommand $1.
has_subcommand() { "${IMI}" --help 2>/dev/null | grep -E "^[[:space:]]+$1([[:space:]]|\$)" >/dev/null; }

step_version() {
  "${IMI}" --version
}

step_normalize() {
  has_subcommand normalize || {
    say "normalize: skipped (this build of imi has no normalize subcommand)"
    return 0
  }
  "${IMI}" normalize "${EXAMPLES_DIR}/ja_sentences.txt"
}

STEPS=(version normalize)

main() {
  cd "${REPO_DIR}"
  if [[ "${IMI_SKIP_SETUP:-0}" != 1 ]]; then
    bash scripts/setup.sh </dev/null || die "setup: scripts/setup.sh failed (see its message above)"
  fi
  say "build: ${BUILD_DIR}/imi"
  cmake -S . -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || die "configure: cmake failed"
  ninja -C "${BUILD_DIR}" -j"${JOBS}" imi || die "build: ninja failed"
  IMI="${REPO_DIR}/${BUILD_DIR}/imi"
  [[ "${BUILD_DIR}" == /* ]] && IMI="${BUILD_DIR}/imi"
  local step
  for step in "${STEPS[@]}"; do
    say "== ${step}"
    "step_${step}" || die "${step}: exited with status $?"
  done
  say "done"
}

main "$@"
