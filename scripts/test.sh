#!/usr/bin/env bash
# Builds imi and runs every test: the README's test command and what .ci/run
# executes. Runs scripts/setup.sh (root), configures and builds into ./build
# (Ninja, Release), starts a throw-away PostgreSQL 15 + pgvector cluster on
# loopback (IMI_TEST_PG_DSN), runs CTest and exits with CTest's status.
#
# Environment: IMI_BUILD_DIR (default build), IMI_JOBS build jobs (default 2),
# IMI_TEST_JOBS parallel tests (default 1: tests share one database),
# IMI_TEST_TIMEOUT seconds per test (default 600), IMI_SKIP_SETUP=1 to skip
# scripts/setup.sh when the dependencies are known to be installed,
# IMI_SKIP_ARM64=1 to skip the arm64 cross build and its tests under qemu.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly BUILD_DIR="${IMI_BUILD_DIR:-build}"
readonly JOBS="${IMI_JOBS:-2}"
readonly TEST_JOBS="${IMI_TEST_JOBS:-1}"
readonly TEST_TIMEOUT="${IMI_TEST_TIMEOUT:-600}"

say() { printf 'test: %s\n' "$*"; }
die() {
  printf 'test: FAILED %s\n' "$*" >&2
  exit 1
}

cd "${REPO_DIR}"
exec </dev/null

if [[ "${IMI_SKIP_SETUP:-0}" != 1 ]]; then
  bash scripts/setup.sh || die "setup: scripts/setup.sh failed (see its message above)"
fi

if [[ ! -d ../shared ]]; then
  say "note: ${REPO_DIR}/../shared is missing; tests that need shared data will be skipped"
fi

say "configure: ${BUILD_DIR} (Ninja, Release)"
cmake -S . -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ||
  die "configure: cmake failed"
say "build: ninja -j${JOBS}"
ninja -C "${BUILD_DIR}" -j"${JOBS}" || die "build: ninja failed"

pg_dir="$(mktemp -d /tmp/imi-pg.XXXXXX)"
stop_pg() { bash "${REPO_DIR}/scripts/pg_test_cluster.sh" stop "${pg_dir}" || true; }
trap stop_pg EXIT
IMI_TEST_PG_DSN="$(bash scripts/pg_test_cluster.sh start "${pg_dir}")" ||
  die "postgres: could not start the test cluster"
export IMI_TEST_PG_DSN
say "postgres: IMI_TEST_PG_DSN=${IMI_TEST_PG_DSN}"

say "ctest: per-test timeout ${TEST_TIMEOUT}s"
status=0
ctest --test-dir "${BUILD_DIR}" --output-on-failure --timeout "${TEST_TIMEOUT}" -j"${TEST_JOBS}" || status=$?
say "ctest exit status ${status}"

# arm64: the cross build and its CI subset under qemu (README, "Tests");
# IMI_SKIP_ARM64=1 leaves it out, `bash deploy/arm64.sh all` runs everything.
if [[ "${IMI_SKIP_ARM64:-0}" != 1 ]]; then
  arm64_status=0
  bash deploy/arm64.sh ci || arm64_status=$?
  say "arm64 exit status ${arm64_status}"
  ((status != 0)) || status=${arm64_status}
fi
exit "${status}"
