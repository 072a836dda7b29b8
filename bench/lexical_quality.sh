#!/usr/bin/env bash
# Lexical search quality on JSQuAD (bench/README.md, "Lexical search quality").
#
#   bash bench/lexical_quality.sh variants   # analyser variants, brute-force BM25 (no store)
#   bash bench/lexical_quality.sh stores     # every analyser and hybrids through the embedded
#                                            # store and PostgreSQL (IMI_PG_DSN, or a throw-away
#                                            # cluster started with scripts/pg_test_cluster.sh)
#
# Needs ../shared/data/jglue/jsquad/valid-v1.3.json and a build with the
# benchmark targets (cmake -S . -B build -G Ninja && ninja -C build).
# UniDic rows need Debian's unidic-mecab (not installed by scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${IMI_BUILD_DIR:-$root/build}"
jsquad="$root/../shared/data/jglue/jsquad/valid-v1.3.json"
[[ -f "$jsquad" ]] || { echo "lexical_quality.sh: $jsquad is missing" >&2; exit 2; }
case "${1:-variants}" in
  variants)
    ninja -C "$build" lexical_analyzer_variants >/dev/null
    "$build/bench/lexical_analyzer_variants" "$jsquad"
    ;;
  stores)
    ninja -C "$build" lexical_jsquad_eval >/dev/null
    dsn="${IMI_PG_DSN:-}"
    if [[ -z "$dsn" ]]; then
      pg_dir="$(mktemp -d /tmp/imi-bench-pg.XXXXXX)"
      trap 'bash "$root/scripts/pg_test_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true' EXIT
      dsn="$(bash "$root/scripts/pg_test_cluster.sh" start "$pg_dir")"
    fi
    "$build/bench/lexical_jsquad_eval" --pg "$dsn" "$jsquad"
    ;;
  *)
    echo "lexical_quality.sh: unknown mode '$1' (variants, stores)" >&2
    exit 2
    ;;
esac
