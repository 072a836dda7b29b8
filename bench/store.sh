#!/usr/bin/env bash
# Vector store benchmark (bench/README.md, "Vector store"): embedded HNSW,
# embedded exact scan and pgvector HNSW on the same generated 384-dim
# vectors, one size per run so large sizes can run separately.
#
#   bench/store.sh [--sizes 10000,100000,1000000] [--no-pg] [extra store_bench flags...]
#
# Builds build/bench/store_bench (IMI_BUILD_DIR overrides build), starts a
# throw-away PostgreSQL + pgvector cluster with scripts/pg_test_cluster.sh
# unless IMI_PG_DSN is set or --no-pg is given, and appends each run's
# output to bench/results/store-<size>.md.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${IMI_BUILD_DIR:-build}"
sizes="10000,100000"
use_pg=1
extra=()
while (($#)); do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --no-pg) use_pg=0; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done

cd "${REPO_DIR}"
cmake -S . -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "${BUILD_DIR}" store_bench

pg_dir=""
cleanup() { [[ -n "${pg_dir}" ]] && bash scripts/pg_test_cluster.sh stop "${pg_dir}" || true; }
trap cleanup EXIT
dsn="${IMI_PG_DSN:-}"
if ((use_pg)) && [[ -z "${dsn}" ]]; then
  pg_dir="$(mktemp -d /tmp/imi-pg-bench.XXXXXX)"
  dsn="$(bash scripts/pg_test_cluster.sh start "${pg_dir}")"
fi
pg_args=()
((use_pg)) && pg_args=(--pg "${dsn}")

mkdir -p bench/results
IFS=',' read -r -a list <<<"${sizes}"
for size in "${list[@]}"; do
  out="bench/results/store-${size}.md"
  echo "== ${size} vectors -> ${out}"
  {
    echo "<!-- $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git describe --always --dirty) -->"
    "${BUILD_DIR}/bench/store_bench" --size "${size}" "${pg_args[@]}" "${extra[@]}"
  } | tee -a "${out}"
done
