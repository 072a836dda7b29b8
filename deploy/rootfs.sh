#!/usr/bin/env bash
# Assembles the root filesystem of imi's container image from a built imi:
# the binary (RPATH removed, stripped), the shared libraries it loads and
# their closure (read from the ELF files, so it works for a cross-built arm64
# binary as well), the dynamic loader, CA certificates, a non-root user, the
# runtime files listed in deploy/runtime-files.txt, /docs assets, and
# optionally a model. Used by deploy/Dockerfile (runtime stage = this tree) and
# by deploy/image.sh (daemonless OCI image).
#
#   bash deploy/rootfs.sh --out DIR [--binary build/imi] [--arch amd64|arm64]
#        [--sysroot DIR] [--ort-lib DIR] [--model MODEL_DIR [--variant FILE]]
#
#   --arch     amd64 (default: this machine) or arm64
#   --sysroot  where the target's libraries live: / for amd64 (default),
#              .deps/arm64/sysroot for arm64 (default; deploy/arm64.sh setup)
#   --ort-lib  directory of libonnxruntime.so.1 (default .deps/onnxruntime/lib,
#              .deps/arm64/onnxruntime/lib for arm64)
#   --model    a sentence-transformers model directory to bake in at
#              /models/default: its config and tokenizer files and ONE ONNX file
#   --variant  that file (default: the INT8 file for the target CPU family:
#              model_quint8_avx2.onnx on amd64, model_qint8_arm64.onnx on arm64)
#   --bake-ort-cache  also put the model's optimised ORT graph in the image
#              (fastest first start; adds about the model's size again)
#
# Every file gets mtime SOURCE_DATE_EPOCH (default 0), so the same inputs give
# the same tree byte for byte. Needs root (ownership of the user's files).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly IMI_UID=10001

say() { printf 'rootfs: %s\n' "$*" >&2; }
die() {
  printf 'rootfs: FAILED %s\n' "$*" >&2
  exit 1
}

out="" binary="${REPO_DIR}/build/imi" arch="" sysroot="" ort_lib="" model="" variant="" bake_cache=0
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --sysroot) sysroot="$2"; shift 2 ;;
    --ort-lib) ort_lib="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --variant) variant="$2"; shift 2 ;;
    --bake-ort-cache) bake_cache=1; shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n "${out}" ]] || die "--out DIR is required"
out="$(realpath -m "${out}")"
[[ -n "${model}" ]] && model="$(realpath -e "${model}")"
[[ -e "${binary}" ]] && binary="$(realpath -e "${binary}")"
[[ -z "${arch}" ]] && arch="$(dpkg --print-architecture)"
case "${arch}" in
  amd64)
    triplet=x86_64-linux-gnu strip_tool=strip
    : "${sysroot:=/}" "${ort_lib:=${REPO_DIR}/.deps/onnxruntime/lib}" "${variant:=model_quint8_avx2.onnx}"
    ;;
  arm64)
    triplet=aarch64-linux-gnu strip_tool=aarch64-linux-gnu-strip
    : "${sysroot:=${REPO_DIR}/.deps/arm64/sysroot}" "${ort_lib:=${REPO_DIR}/.deps/arm64/onnxruntime/lib}"
    : "${variant:=model_qint8_arm64.onnx}"
    ;;
  *) die "--arch must be amd64 or arm64, got '${arch}'" ;;
esac
readonly epoch="${SOURCE_DATE_EPOCH:-0}"
[[ -x "${binary}" ]] || die "no imi binary at ${binary} (build it first)"
[[ -f "${ort_lib}/libonnxruntime.so.1" ]] || die "no libonnxruntime.so.1 in ${ort_lib}"
command -v patchelf >/dev/null || die "patchelf missing (scripts/setup.sh installs it)"
command -v "${strip_tool}" >/dev/null || die "${strip_tool} missing"
readelf -h "${binary}" | grep -q "$([[ ${arch} == arm64 ]] && echo AArch64 || echo X86-64)" ||
  die "${binary} is not an ${arch} executable"

rm -rf "${out}"
# proc, sys and dev are mount points for the container runtime.
mkdir -p "${out}"/{usr/bin,usr/lib/"${triplet}",etc/ssl/certs,tmp,data,models,home/imi,usr/share/imi,proc,sys,dev}
# Merged /usr, as on Debian 12.
ln -s usr/lib "${out}/lib"
ln -s usr/bin "${out}/bin"

# --- binary -----------------------------------------------------------------
cp "${binary}" "${out}/usr/bin/imi"
patchelf --remove-rpath "${out}/usr/bin/imi"
"${strip_tool}" --strip-unneeded "${out}/usr/bin/imi"

# --- shared library closure ---------------------------------------------------
search_dirs=("${ort_lib}" "${sysroot%/}/lib/${triplet}" "${sysroot%/}/usr/lib/${triplet}" "${sysroot%/}/lib" "${sysroot%/}/usr/lib")
find_library() {
  local name="$1" dir
  for dir in "${search_dirs[@]}"; do
    if [[ -e "${dir}/${name}" ]]; then
      printf '%s\n' "${dir}/${name}"
      return 0
    fi
  done
  return 1
}
# Resolves a path inside the sysroot (its links may be relative or, on the
# host, absolute) to the file's content.
real_file() { realpath -e "$1"; }

declare -A seen=()
queue=("${out}/usr/bin/imi")
while ((${#queue[@]})); do
  elf="${queue[0]}"
  queue=("${queue[@]:1}")
  while read -r needed; do
    [[ -n "${seen[${needed}]:-}" ]] && continue
    seen[${needed}]=1
    src="$(find_library "${needed}")" || die "library ${needed} (needed by $(basename "${elf}")) not found in ${search_dirs[*]}"
    dest="${out}/usr/lib/${triplet}/${needed}"
    cp "$(real_file "${src}")" "${dest}"
    chmod 0755 "${dest}"
    queue+=("${dest}")
  done < <(readelf -d "${elf}" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
# The dynamic loader at the path the binary names (PT_INTERP).
interp="$(readelf -l "${out}/usr/bin/imi" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')"
[[ -n "${interp}" ]] || die "no program interpreter in ${binary}"
loader="$(basename "${interp}")"
if [[ ! -f "${out}/usr/lib/${triplet}/${loader}" ]]; then
  cp "$(real_file "$(find_library "${loader}")")" "${out}/usr/lib/${triplet}/${loader}"
fi
if [[ "${interp}" != "/lib/${triplet}/${loader}" ]]; then
  mkdir -p "${out}/usr$(dirname "${interp}")"
  [[ -e "${out}$(dirname "${interp}")" ]] || ln -s "usr$(dirname "${interp}")" "${out}$(dirname "${interp}")"
  ln -sf "$(realpath -m --relative-to="$(dirname "${interp}")" "/lib/${triplet}/${loader}")" "${out}/usr${interp}"
fi
# Strip the libraries' symbol tables too (ONNX Runtime's is large).
find "${out}/usr/lib/${triplet}" -maxdepth 1 -type f -name '*.so*' ! -name "${loader}" \
  -exec "${strip_tool}" --strip-unneeded {} +

# --- runtime files features load at run time (deploy/runtime-files.txt) --------
while read -r line || [[ -n "${line}" ]]; do
  path="${line%%#*}"
  path="${path//[[:space:]]/}"
  [[ -z "${path}" ]] && continue
  path="${path//@TRIPLET@/${triplet}}"
  src="${sysroot%/}${path}"
  [[ "${arch}" == arm64 && ! -e "${src}" ]] && src="${path}"  # arch-independent data from the host
  [[ -e "${src}" ]] || die "runtime file ${path} (deploy/runtime-files.txt) not found; install its package (scripts/apt-packages.txt)"
  mkdir -p "${out}$(dirname "${path}")"
  cp -rL "${src}" "${out}${path}"
done <"${REPO_DIR}/deploy/runtime-files.txt"

# --- users, certificates, /docs -----------------------------------------------
cat >"${out}/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
imi:x:${IMI_UID}:${IMI_UID}:imi:/home/imi:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"${out}/etc/group" <<EOF
root:x:0:
imi:x:${IMI_UID}:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"${out}/etc/nsswitch.conf"
cp "$(real_file /etc/ssl/certs/ca-certificates.crt)" "${out}/etc/ssl/certs/ca-certificates.crt" ||
  die "/etc/ssl/certs/ca-certificates.crt missing (ca-certificates)"
swagger="${REPO_DIR}/.deps/node/node_modules/swagger-ui-dist"
if [[ -f "${swagger}/swagger-ui-bundle.js" ]]; then
  mkdir -p "${out}/usr/share/imi/swagger-ui-dist"
  cp "${swagger}"/{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} "${out}/usr/share/imi/swagger-ui-dist/"
else
  say "note: ${swagger} missing; /docs lists the API without the interactive page"
fi

# --- model ----------------------------------------------------------------------
if [[ -n "${model}" ]]; then
  [[ -f "${model}/onnx/${variant}" || -f "${model}/${variant}" ]] ||
    die "model ${model} has no ${variant} (onnx/ or top level); pass --variant FILE"
  dest="${out}/models/default"
  mkdir -p "${dest}"
  # Everything but ONNX files, then the one variant (and its external data).
  (cd "${model}" && find . -type f ! -name '*.onnx' ! -name '*.onnx_data' ! -name '*.onnx.data' ! -path './.*' \
    ! -path '*/.imi-cache/*' -print0 | xargs -0 -r cp --parents -t "${dest}")
  for f in "onnx/${variant}" "${variant}"; do
    [[ -f "${model}/${f}" ]] || continue
    mkdir -p "$(dirname "${dest}/${f}")"
    cp "${model}/${f}" "${dest}/${f}"
    for data in "${model}/${f}_data" "${model}/${f}.data"; do
      [[ -f "${data}" ]] && cp "${data}" "$(dirname "${dest}/${f}")/"
    done
  done
fi

# --bake-ort-cache: the optimised-graph cache of the baked model (docs/deploy.md,
# "Cold start"): the target binary loads the model once (an arm64 binary
# through qemu-user), so a container's first start already runs from the
# cached graph. It holds the weights a second time (+~115 MB compressed for
# MiniLM-L12 INT8), hence not the default. The cache key is the model's
# content, the ONNX Runtime version and the architecture.
if [[ -n "${model}" && "${bake_cache}" == 1 ]]; then
  baked="$(cd "${out}/models/default" && find . -name "${variant}" -type f | head -1)"
  # ONNX Runtime writes the ORT file in an order that follows heap addresses.
  # The same model gives the same bytes (a reproducible digest) when they are
  # the same: no address-space randomisation (setarch -R, inherited by qemu),
  # an empty environment and the model at one fixed path (a bind mount in a
  # private mount namespace), whatever --out is. Usually: one CI run under
  # load still gave different bytes (docs/deploy.md), so tests compare the
  # digests of unbaked images only.
  bake_dir=/tmp/imi-bake-model
  mkdir -p "${bake_dir}"
  # The model's files get their final mtime first: the cache's hash memos
  # are keyed by size and mtime, so the image's first start finds them.
  find "${out}/models/default" -exec touch -h -d "@${epoch}" {} +
  bake_env=(PATH=/usr/bin:/bin)
  [[ "${arch}" == arm64 ]] && bake_env+=("QEMU_LD_PREFIX=${sysroot}")
  # shellcheck disable=SC2016 # expanded by the inner shell
  if printf 'warm up\n' | unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && cd / && exec "$@"' sh \
    "${out}/models/default" "${bake_dir}" env -i "${bake_env[@]}" setarch "$(uname -m)" -R "${binary}" embed \
    --model "${bake_dir}" --variant "${variant%.onnx}" --ort-cache write --threads 1 >/dev/null 2>"${out}/.cache.log"; then
    say "baked the optimised graph of ${baked#./} ($(du -sh "$(dirname "${out}/models/default/${baked}")/.imi-cache" | cut -f1))"
  else
    die "could not bake the optimised graph of ${baked#./}: $(tail -1 "${out}/.cache.log")"
  fi
  rm -f "${out}/.cache.log"
fi

# --- ownership, modes, times -----------------------------------------------------
chown -R 0:0 "${out}"
chown "${IMI_UID}:${IMI_UID}" "${out}/data" "${out}/home/imi"
chmod 1777 "${out}/tmp"
chmod 0755 "${out}"/{data,models,home/imi,usr,usr/bin,usr/lib,etc}
find "${out}" -type f -exec chmod go-w {} +
find "${out}" -exec touch -h -d "@${epoch}" {} +
say "${arch} rootfs in ${out}: $(du -sh --apparent-size "${out}" | cut -f1), $(find "${out}/usr/lib/${triplet}" -maxdepth 1 -type f | wc -l) libraries"
