#!/usr/bin/env bash
# Lexical search speed (bench/README.md, "Lexical search speed"): imi's
# embedded store beside SQLite FTS5 (trigram) and PostgreSQL full-text search
# on the same chunks and queries, in one run.
#
#   bash bench/lexical_speed.sh 100000          # 100k chunks
#   bash bench/lexical_speed.sh 1000000         # 1M chunks (tens of minutes, ~3 GB of disk in /tmp)
#   IMI_BENCH_IMI_PG=1 bash bench/lexical_speed.sh 100000   # also imi's PostgreSQL backend
#
# PostgreSQL: IMI_PG_DSN, or a throw-away cluster from scripts/pg_test_cluster.sh.
# Needs ../shared (JSQuAD and JSTS) and the benchmark targets built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${IMI_BUILD_DIR:-$root/build}"
chunks="${1:-100000}"
ninja -C "$build" lexical_speed >/dev/null
dsn="${IMI_PG_DSN:-}"
if [[ -z "$dsn" ]]; then
  pg_dir="$(mktemp -d /tmp/imi-bench-pg.XXXXXX)"
  trap 'bash "$root/scripts/pg_test_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
  dsn="$(bash "$root/scripts/pg_test_cluster.sh" start "$pg_dir")"
fi
extra=()
[[ "${IMI_BENCH_IMI_PG:-0}" == 1 ]] && extra+=(--imi-pg)
"$build/bench/lexical_speed" --chunks "$chunks" --pg "$dsn" "${extra[@]}"
