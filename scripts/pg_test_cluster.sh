#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster with pgvector for tests, on loopback only.
#
#   scripts/pg_test_cluster.sh start [DIR]   create + start; prints the DSN on stdout
#   scripts/pg_test_cluster.sh dsn DIR       prints the DSN of a running cluster
#   scripts/pg_test_cluster.sh stop DIR      stops the cluster and deletes DIR
#
# DIR (default: a new mktemp directory, named on stderr) holds the data
# directory, the socket, the server log and the DSN. The port is the first
# free one from IMI_PG_TEST_PORT (default 54329). The database is imi_test with
# `CREATE EXTENSION vector` done; the user is postgres with trust auth.
# As root the server runs as the system user postgres (PostgreSQL refuses
# root); as another user it runs as that user.
set -euo pipefail

readonly PG_BIN="/usr/lib/postgresql/15/bin"
readonly DB_NAME="imi_test"
readonly FIRST_PORT="${IMI_PG_TEST_PORT:-54329}"
readonly PORT_TRIES=50

say() { printf 'pg_test_cluster: %s\n' "$*" >&2; }
die() {
  printf 'pg_test_cluster: FAILED %s\n' "$*" >&2
  exit 1
}

as_server_user() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dsn_for_port() {
  printf 'postgresql://postgres@127.0.0.1:%s/%s\n' "$1" "${DB_NAME}"
}

cmd_start() {
  [[ -x "${PG_BIN}/initdb" ]] || die "start: ${PG_BIN}/initdb missing; run sudo bash scripts/setup.sh (installs postgresql-15)"
  local dir="${1:-}"
  if [[ -z "${dir}" ]]; then
    dir="$(mktemp -d /tmp/imi-pg.XXXXXX)"
    say "cluster directory ${dir} (stop with: scripts/pg_test_cluster.sh stop ${dir})"
  else
    mkdir -p "${dir}"
    [[ -z "$(ls -A "${dir}")" ]] || die "start: ${dir} is not empty; pass a new or empty directory"
  fi
  dir="$(cd "${dir}" && pwd)"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "start: system user postgres missing (installed with postgresql-15)"
    chown postgres: "${dir}"
  fi
  chmod 700 "${dir}"

  as_server_user "${PG_BIN}/initdb" -D "${dir}/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C >"${dir}/initdb.log" 2>&1 ||
    die "start: initdb failed, see ${dir}/initdb.log"

  local port="${FIRST_PORT}" try started=0
  for ((try = 0; try < PORT_TRIES; try++, port++)); do
    port_in_use "${port}" && continue
    if as_server_user "${PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/server.log" -w -t 60 \
      -o "-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
  done
  ((started)) || die "start: server did not start on ports ${FIRST_PORT}..$((FIRST_PORT + PORT_TRIES - 1)), see ${dir}/server.log"

  local psql=("${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${port}" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE ${DB_NAME}" >/dev/null 2>>"${dir}/server.log" ||
    die "start: CREATE DATABASE ${DB_NAME} failed, see ${dir}/server.log"
  "${psql[@]}" -d "${DB_NAME}" -c "CREATE EXTENSION vector" >/dev/null 2>>"${dir}/server.log" ||
    die "start: CREATE EXTENSION vector failed (is pgvector installed? run sudo bash scripts/setup.sh), see ${dir}/server.log"
  dsn_for_port "${port}" >"${dir}/dsn"
  say "PostgreSQL 15 with pgvector on 127.0.0.1:${port}"
  cat "${dir}/dsn"
}

cmd_dsn() {
  local dir="${1:?usage: pg_test_cluster.sh dsn DIR}"
  [[ -f "${dir}/dsn" ]] || die "dsn: ${dir} has no running cluster"
  cat "${dir}/dsn"
}

cmd_stop() {
  local dir="${1:?usage: pg_test_cluster.sh stop DIR}"
  [[ -d "${dir}" ]] || return 0
  if [[ -f "${dir}/data/postmaster.pid" ]]; then
    as_server_user "${PG_BIN}/pg_ctl" -D "${dir}/data" -m fast -w stop >/dev/null 2>&1 ||
      say "stop: pg_ctl stop failed for ${dir}"
  fi
  # Only delete what start created.
  if [[ -d "${dir}/data" || -f "${dir}/initdb.log" ]]; then
    rm -rf "${dir}"
  fi
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  dsn) cmd_dsn "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) die "usage: pg_test_cluster.sh start [DIR] | dsn DIR | stop DIR" ;;
esac
