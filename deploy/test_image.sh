#!/usr/bin/env bash
# CTest "deploy_image" (label deploy): builds both image variants with a tiny
# generated model twice (digests must match) and the model variant once more
# with the baked optimised graph, then runs each image's entrypoint from its
# unpacked rootfs (deploy/smoke.py). With IMI_IMAGE_ARCHS=amd64,arm64
# the arm64 images are built and run (under qemu) too (deploy/arm64.sh build
# first).
#   deploy/test_image.sh BUILD_DIR
# Exit 77 (skipped) when not root or umoci/skopeo/unshare are missing.
set -euo pipefail
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-${REPO_DIR}/build}" && pwd)"
if [[ "$(id -u)" != 0 ]]; then echo "skip: needs root (namespaces, chroot, file ownership)"; exit 77; fi
for tool in umoci skopeo unshare patchelf; do
  command -v "${tool}" >/dev/null || { echo "skip: ${tool} missing (scripts/setup.sh installs it)"; exit 77; }
done
work="${build}/deploy-test"
model="${work}/tiny-bert"
mkdir -p "${work}"
if [[ ! -f "${model}/onnx/model_qint8_arm64.onnx" ]]; then
  /usr/bin/python3 "${REPO_DIR}/tools/modelgen/modelgen.py" generate --arch bert --seed 21 \
    --tokenizer "${REPO_DIR}/../shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" \
    --out "${model}" --int8 quint8_avx2 qint8_avx512_vnni qint8_arm64
fi
# IMI_IMAGE_ARCHS=amd64,arm64 adds the arm64 images (after deploy/arm64.sh build).
archs="${IMI_IMAGE_ARCHS:-amd64}"
# The default images, built twice: every digest must be the same.
IMI_BUILD_DIR="${build}" bash "${REPO_DIR}/deploy/image.sh" --arch "${archs}" --model "${model}" \
  --out "${work}/image" --twice
# The opt-in baked optimised graph, built once: ONNX Runtime lays out the ORT
# file by heap addresses, which stay put between runs only most of the time
# (docs/deploy.md), so its digest is not compared here.
IMI_BUILD_DIR="${build}" bash "${REPO_DIR}/deploy/image.sh" --arch "${archs}" --model "${model}" \
  --out "${work}/image-baked" --bake-ort-cache
port=$((18700 + RANDOM % 200))
for arch in ${archs//,/ }; do
  python3 "${REPO_DIR}/deploy/smoke.py" --layout "${work}/image/oci" --tag "bare-${arch}" --model "${model}" --port "${port}"
  python3 "${REPO_DIR}/deploy/smoke.py" --layout "${work}/image/oci" --tag "model-${arch}" --port "${port}"
  python3 "${REPO_DIR}/deploy/smoke.py" --layout "${work}/image-baked/oci" --tag "model-${arch}" --port "${port}" \
    --expect-cached-graph
done
echo "deploy_image: images reproducible, rootfs smoke passed for ${archs} (baked graph used)"
