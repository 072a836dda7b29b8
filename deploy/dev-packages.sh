#!/usr/bin/env bash
# Prints the -dev packages of scripts/apt-packages.txt that building imi needs,
# one per line: every package whose name ends in -dev, except lines that say
# "host-only". deploy/arm64.sh unpacks their arm64 builds into the cross
# sysroot; deploy/Dockerfile installs them in its build stage.
set -euo pipefail
list="$(dirname "${BASH_SOURCE[0]}")/../scripts/apt-packages.txt"
while IFS= read -r line || [[ -n "${line}" ]]; do
  [[ "${line}" == *host-only* ]] && continue
  pkg="${line%%#*}"
  pkg="${pkg//[[:space:]]/}"
  if [[ "${pkg}" == *-dev ]]; then printf '%s\n' "${pkg}"; fi
done <"${list}"
