#!/usr/bin/env bash
# Builds imi's container image without a Docker daemon, from Debian's tools:
# deploy/rootfs.sh assembles the root filesystem from the build's outputs,
# umoci packs it as an OCI image, skopeo exports it. Same rootfs as
# deploy/Dockerfile's runtime stage.
#
#   bash deploy/image.sh [--arch amd64,arm64] [--model DIR] [--out DIR] [--twice]
#
#   --arch   architectures to build (default: amd64, plus arm64 when
#            build-arm64/imi exists; deploy/arm64.sh builds it)
#   --model  also build the "model" variant with this model directory baked in
#            at /models/default (INT8 file for the target CPU family, see
#            deploy/rootfs.sh --variant); without it only "bare" is built
#   --out    output directory (default build/image)
#   --twice  build everything a second time from scratch and check that every
#            digest is the same (reproducibility)
#   --bake-ort-cache  put the model's optimised ONNX Runtime graph into the
#            model variant (fastest first start, about the model's size more)
#
# Output in --out:
#   oci/                      OCI layout: tags bare-amd64, bare-arm64, ... and
#                             the multi-arch indexes "bare" and "model"
#   imi-VARIANT-ARCH.tar      `docker load`-able archives (imi:VARIANT-ARCH)
#   images.txt                variant, arch, digest, compressed and unpacked size
# Binaries: build/imi (amd64), build-arm64/imi (arm64); IMI_BUILD_DIR and
# IMI_ARM64_BUILD_DIR override. SOURCE_DATE_EPOCH sets every timestamp
# (default: the commit time of HEAD). Needs root.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR

say() { printf 'image: %s\n' "$*"; }
die() {
  printf 'image: FAILED %s\n' "$*" >&2
  exit 1
}

archs="" model="" out="${REPO_DIR}/build/image" twice=0 bake=()
while (($#)); do
  case "$1" in
    --arch) archs="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --twice) twice=1; shift ;;
    --bake-ort-cache) bake=(--bake-ort-cache); shift ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$(id -u)" == 0 ]] || die "run as root (the rootfs has files owned by the imi user)"
out="$(realpath -m "${out}")"
for tool in umoci skopeo patchelf python3; do
  command -v "${tool}" >/dev/null || die "${tool} missing (run scripts/setup.sh)"
done
amd64_binary="${IMI_BUILD_DIR:-${REPO_DIR}/build}/imi"
arm64_binary="${IMI_ARM64_BUILD_DIR:-${REPO_DIR}/build-arm64}/imi"
if [[ -z "${archs}" ]]; then
  archs=amd64
  [[ -x "${arm64_binary}" ]] && archs="amd64,arm64"
fi
IFS=, read -r -a arch_list <<<"${archs}"
variants=(bare)
if [[ -n "${model}" ]]; then
  [[ -f "${model}/config.json" ]] || die "--model ${model} is not a model directory (no config.json)"
  model="$(cd "${model}" && pwd)"
  variants+=(model)
fi
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH="$(git -C "${REPO_DIR}" log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH
created="$(date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%dT%H:%M:%SZ)"
version="$("${amd64_binary}" --version 2>/dev/null | sed -n 's/^imi //p' || true)"
commit="$(git -C "${REPO_DIR}" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"

# One image: rootfs -> umoci layout tag VARIANT-ARCH.
build_image() {
  local work="$1" variant="$2" arch="$3" layout="$1/oci" tag="$2-$3"
  local binary="${amd64_binary}" rootfs_args=()
  [[ "${arch}" == arm64 ]] && binary="${arm64_binary}"
  [[ -x "${binary}" ]] || die "${arch}: no imi binary at ${binary}"
  [[ "${variant}" == model ]] && rootfs_args=(--model "${model}" "${bake[@]}")
  local bundle="${work}/bundle-${tag}"
  rm -rf "${bundle}"
  umoci new --image "${layout}:${tag}"
  local env=(--config.env PATH=/usr/bin --config.env PORT=8080 --config.env HOME=/home/imi)
  [[ "${variant}" == model ]] && env+=(--config.env MODEL_PATH=/models/default)
  umoci config --image "${layout}:${tag}" --no-history --created "${created}" --author imi \
    --architecture "${arch}" --os linux --config.user 10001:10001 \
    --config.entrypoint /usr/bin/imi --config.cmd serve "${env[@]}" \
    --config.workingdir /data --config.exposedports 8080/tcp --config.volume /data \
    --config.stopsignal SIGTERM \
    --config.label "org.opencontainers.image.title=imi" \
    --config.label "org.opencontainers.image.version=${version}" \
    --config.label "org.opencontainers.image.revision=${commit}" \
    --config.label "org.opencontainers.image.description=imi ${variant} (${arch})"
  umoci unpack --image "${layout}:${tag}" "${bundle}" >/dev/null
  bash "${REPO_DIR}/deploy/rootfs.sh" --out "${bundle}/rootfs" --binary "${binary}" --arch "${arch}" "${rootfs_args[@]}"
  # --no-mask-volumes: /data (the VOLUME) stays in the layer, owned by the imi user.
  umoci repack --no-mask-volumes --image "${layout}:${tag}" --history.created "${created}" \
    --history.created_by "deploy/rootfs.sh --arch ${arch}${rootfs_args[*]:+ --model}" "${bundle}"
  du -s --apparent-size --block-size=1 "${bundle}/rootfs" | cut -f1 >"${work}/${tag}.unpacked"
  rm -rf "${bundle}"
}

# Multi-arch image index for one variant, tagged VARIANT in the layout.
write_index() {
  local layout="$1" variant="$2"
  python3 - "${layout}" "${variant}" <<'PY'
import hashlib, json, os, sys
layout, variant = sys.argv[1], sys.argv[2]
index_path = os.path.join(layout, "index.json")
index = json.load(open(index_path))
entries = []
for m in index["manifests"]:
    name = m.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
    if not name.startswith(variant + "-"):
        continue
    manifest = json.load(open(os.path.join(layout, "blobs", *m["digest"].split(":"))))
    config = json.load(open(os.path.join(layout, "blobs", *manifest["config"]["digest"].split(":"))))
    entries.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
                    "platform": {"architecture": config["architecture"], "os": config["os"]}})
entries.sort(key=lambda e: e["platform"]["architecture"])
blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}, separators=(",", ":")).encode()
digest = hashlib.sha256(blob).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
    f.write(blob)
index["manifests"] = [m for m in index["manifests"]
                      if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != variant]
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                           "digest": "sha256:" + digest, "size": len(blob),
                           "annotations": {"org.opencontainers.image.ref.name": variant}})
index["manifests"].sort(key=lambda m: m["annotations"]["org.opencontainers.image.ref.name"])
with open(index_path, "w") as f:
    json.dump(index, f, separators=(",", ":"))
print("sha256:" + digest)
PY
}

# Digest and compressed size (sum of layer blobs) of a tag.
describe() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
layout, tag = sys.argv[1], sys.argv[2]
index = json.load(open(os.path.join(layout, "index.json")))
m = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag)
manifest = json.load(open(os.path.join(layout, "blobs", *m["digest"].split(":"))))
size = sum(l["size"] for l in manifest["layers"]) + manifest["config"]["size"] + m["size"]
print(m["digest"], size)
PY
}

# Everything into one work directory; prints "variant arch digest bytes unpacked".
build_all() {
  local work="$1" variant arch
  rm -rf "${work}"
  mkdir -p "${work}"
  umoci init --layout "${work}/oci"
  for variant in "${variants[@]}"; do
    for arch in "${arch_list[@]}"; do
      build_image "${work}" "${variant}" "${arch}" >&2
    done
    if ((${#arch_list[@]} > 1)); then
      write_index "${work}/oci" "${variant}" >/dev/null
    fi
  done
  umoci gc --layout "${work}/oci"
  for variant in "${variants[@]}"; do
    for arch in "${arch_list[@]}"; do
      printf '%s %s %s %s\n' "${variant}" "${arch}" "$(describe "${work}/oci" "${variant}-${arch}")" \
        "$(cat "${work}/${variant}-${arch}.unpacked")"
    done
    if ((${#arch_list[@]} > 1)); then
      printf '%s index %s -\n' "${variant}" "$(describe_index "${work}/oci" "${variant}")"
    fi
  done
}

describe_index() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
index = json.load(open(os.path.join(sys.argv[1], "index.json")))
m = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == sys.argv[2])
print(m["digest"], "-")
PY
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

say "building ${variants[*]} for ${arch_list[*]} (SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}, ${created})"
mkdir -p "${out}"
build_all "${out}/work" >"${out}/images.txt"
if ((twice)); then
  say "building everything again from scratch to compare digests"
  build_all "${out}/work-again" >"${out}/images-again.txt"
fi

rm -rf "${out}/oci"
mv "${out}/work/oci" "${out}/oci"
status=0
printf '\n%-6s %-6s %-73s %14s %14s\n' variant arch digest compressed unpacked
while read -r variant arch digest bytes unpacked; do
  if [[ "${arch}" == index ]]; then
    printf '%-6s %-6s %-73s %14s %14s\n' "${variant}" "${arch}" "${digest}" "(${#arch_list[@]} platforms)" ""
    continue
  fi
  printf '%-6s %-6s %-73s %14s %14s\n' "${variant}" "${arch}" "${digest}" "$(mb "${bytes}")" "$(mb "${unpacked}")"
  limit=$([[ "${variant}" == bare ]] && echo 60000000 || echo 200000000)
  if ((bytes > limit)); then
    say "${variant}-${arch}: $(mb "${bytes}") compressed is over the goal of $(mb "${limit}")"
    status=1
  fi
done <"${out}/images.txt"
if ((twice)); then
  echo
  while read -r variant arch digest _; do
    again="$(awk -v v="${variant}" -v a="${arch}" '$1 == v && $2 == a { print $3 }' "${out}/images-again.txt")"
    if [[ "${digest}" == "${again}" ]]; then
      printf 'reproducible %s-%s: %s == %s\n' "${variant}" "${arch}" "${digest}" "${again}"
    else
      printf 'NOT reproducible %s-%s: %s != %s\n' "${variant}" "${arch}" "${digest}" "${again}"
      status=1
    fi
  done <"${out}/images.txt"
  rm -rf "${out}/work-again"
fi
rm -rf "${out}/work"

# Export: docker-archive per platform (docker load handles one platform per
# archive); the OCI layout keeps the multi-arch indexes.
echo
while read -r variant arch _; do
  [[ "${arch}" == index ]] && continue
  tar="${out}/imi-${variant}-${arch}.tar"
  rm -f "${tar}"
  skopeo copy --quiet "oci:${out}/oci:${variant}-${arch}" "docker-archive:${tar}:imi:${variant}-${arch}"
  say "docker load -i ${tar}   # imi:${variant}-${arch}, sha256 of archive $(sha256sum "${tar}" | cut -c1-16)…"
done <"${out}/images.txt"
for variant in "${variants[@]}"; do
  if ((${#arch_list[@]} > 1)); then
    skopeo inspect --raw "oci:${out}/oci:${variant}" >/dev/null || die "skopeo cannot read the ${variant} index"
    say "oci:${out}/oci:${variant} is a multi-arch index (${arch_list[*]}); push with: skopeo copy --all oci:${out}/oci:${variant} docker://REGISTRY/imi:TAG"
  fi
done
exit "${status}"
