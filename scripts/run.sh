#!/usr/bin/env bash
# imi's main job on the embedded default: installs dependencies, builds
# build/imi and runs each pipeline step that this build of imi has. The
# README's "run" command. Add a step by writing step_<name> and listing it in
# STEPS; a step whose subcommand is absent from the binary is reported and
# skipped.
#
# Environment: IMI_BUILD_DIR (default build), IMI_JOBS (default 2),
# IMI_BIN=PATH to run the steps with an already built imi (no build),
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

# The model for the search demo: the pinned default from the hub, or, where
# the hub is unreachable, a generated model with random weights (same code
# path, meaningless ranking). Prints the model directory.
demo_model() {
  local out="$1" model
  if model="$("${IMI}" pull -q 2>"${out}/pull.log")" && [[ -n "${model}" ]]; then
    say "search: model ${model} (pinned default, from the Hugging Face hub)" >&2
    printf '%s\n' "${model}"
    return 0
  fi
  say "search: could not download the pretrained model ($(tail -n 1 "${out}/pull.log"))" >&2
  say "search: using a GENERATED model with random weights instead: the pipeline runs end to end, but the ranking" >&2
  say "search: is not meaningful. With network access this step uses the pinned default model." >&2
  local py=/usr/bin/python3 tok="${REPO_DIR}/../shared/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json"
  [[ -x "${py}" ]] || py=python3
  [[ -f "${tok}" ]] || tok="${REPO_DIR}/tests/data/tokenizer/made/xlmr-made/tokenizer.json"
  model="${out}/generated-model"
  if [[ ! -f "${model}/config.json" ]]; then
    "${py}" "${REPO_DIR}/tools/modelgen/modelgen.py" generate --arch bert --size tiny --tokenizer "${tok}" \
      --out "${model}" --seed 5 --max-seq-length 128 >/dev/null ||
      return 1
  fi
  printf '%s\n' "${model}"
}

# POST $2 (JSON) to http://127.0.0.1:$PORT$1 and print the body; fails on >= 400.
http_post() { curl -sS --fail-with-body -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:${DEMO_PORT}$1"; }

step_search() {
  has_subcommand serve || {
    say "search: skipped (this build of imi has no serve subcommand)"
    return 0
  }
  local out="${REPO_DIR}/${BUILD_DIR}/run-search" model store corpus="${REPO_DIR}/tests/data/store/city"
  local py="${PY:-/usr/bin/python3}"
  [[ -x "${py}" ]] || py=python3
  [[ "${BUILD_DIR}" == /* ]] && out="${BUILD_DIR}/run-search"
  mkdir -p "${out}"
  model="$(demo_model "${out}")" || die "search: no model (pull failed and the model generator failed)"
  store="${out}/imi-data"
  rm -rf "${store}"

  # 1. Ingest the city's pages (HTML: visible text, title and URL kept as
  #    metadata; Markdown) and notices (JSON lines) into a new embedded store.
  if has_subcommand index; then
    say "search: imi index --collection city --store ${store} ${corpus}"
    "${IMI}" index --collection city --store "${store}" --model "${model}" "${corpus}" 2>&1 | tail -n 1 |
      sed 's/^/run: search: /'
    [[ "${PIPESTATUS[0]}" == 0 ]] || die "search: imi index failed"
  fi

  # 2. Serve it, on a free port.
  "${IMI}" serve --model "${model}" --store "${store}" --host 127.0.0.1 --port 0 --no-access-log \
    2>"${out}/serve.log" &
  local pid=$!
  DEMO_PORT=""
  local i
  for i in $(seq 1 600); do
    DEMO_PORT="$(sed -n 's/.*ready on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "${out}/serve.log" | head -n 1)"
    [[ -n "${DEMO_PORT}" ]] && break
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "${DEMO_PORT}" ]]; then
    kill "${pid}" 2>/dev/null || true
    die "search: imi serve did not start: $(tail -n 3 "${out}/serve.log")"
  fi
  say "search: imi serve --store ${store} ready on port ${DEMO_PORT} (pid ${pid})"
  trap 'kill "${pid}" 2>/dev/null || true' EXIT

  # 3. Documents also arrive over HTTP (chunked and embedded by the server);
  #    without imi index, the notices are all the corpus.
  http_post /collections '{"name":"city"}' >/dev/null || die "search: creating the collection failed"
  local docs
  docs="$("${py}" - "${corpus}/notices.jsonl" <<'PY'
import json, sys
docs = [{"id": "notice-2026-006", "text": "粗大ごみの収集は申し込み制です。電話またはウェブサイトで収集日の一週間前までにお申し込みください。",
         "metadata": {"category": "ごみ", "date": "2026-11-25", "ward": "全域"}}]
if len(sys.argv) > 1:
    for line in open(sys.argv[1], encoding="utf-8"):
        if line.strip():
            item = json.loads(line)
            docs.append({"id": item.pop("id"), "text": item.pop("text"), "metadata": item})
print(json.dumps({"documents": docs}, ensure_ascii=False))
PY
)" || die "search: preparing the documents failed"
  if has_subcommand index; then docs="$(printf '%s' "${docs}" | "${py}" -c 'import json,sys; d=json.load(sys.stdin); d["documents"]=d["documents"][:1]; print(json.dumps(d, ensure_ascii=False))')"; fi
  http_post /collections/city/documents "${docs}" |
    "${py}" -c 'import json,sys; r=json.load(sys.stdin); print("run: search: POST /collections/city/documents: %d documents (%d chunks) stored" % (r["documents"], r["chunks"]))' ||
    die "search: storing documents over HTTP failed"
  say "search: GET /collections/city: $(curl -sS "http://127.0.0.1:${DEMO_PORT}/collections/city")"

  # 4. Search over HTTP and print the ranked results.
  local query='粗大ごみを出したい'
  say "search: POST /collections/city/search {\"query\":\"${query}\",\"k\":3}"
  http_post /collections/city/search "{\"query\":\"${query}\",\"k\":3}" |
    "${py}" -c '
import json, sys
r = json.load(sys.stdin)
for hit in r["results"]:
    meta = hit.get("metadata", {})
    label = meta.get("title") or meta.get("category") or ""
    print("  %d. %-18s score=%.4f  %s" % (hit["rank"], hit["id"], hit["score"], label))
    print("     " + hit["chunk"]["text"][:70])
' || die "search: the search request failed"
  say "search: POST /collections/city/search {\"query\":\"${query}\",\"k\":2,\"filter\":{\"ward\":\"全域\"}}"
  http_post /collections/city/search "{\"query\":\"${query}\",\"k\":2,\"filter\":{\"ward\":\"全域\"}}" |
    "${py}" -c 'import json,sys; r=json.load(sys.stdin); print("  " + ", ".join("%s (%s)" % (h["id"], h["metadata"].get("ward")) for h in r["results"]))' ||
    die "search: the filtered search failed"

  # 5. Stop the server (SIGTERM: requests in progress finish, exit 0).
  kill "${pid}"
  wait "${pid}" || die "search: imi serve exited with status $? on SIGTERM"
  trap - EXIT
  say "search: server stopped; the store stays in ${store}"
}

# The main job: a city's web site crawled into a collection and searched by
# people. Serves the sample city site (tools/sitegen) on loopback, crawls it
# with imi crawl, serves it with imi serve, runs a keyword, a semantic and a
# hybrid search through the search page's JSON, and prints the search page's
# URL. With a terminal on stdin the servers stay up until Ctrl-C.
step_site() {
  has_subcommand crawl || {
    say "site: skipped (this build of imi has no crawl subcommand)"
    return 0
  }
  local out="${REPO_DIR}/${BUILD_DIR}/run-site" py="${PY:-/usr/bin/python3}" model
  [[ "${BUILD_DIR}" == /* ]] && out="${BUILD_DIR}/run-site"
  [[ -x "${py}" ]] || py=python3
  mkdir -p "${out}"
  model="$(demo_model "${out}")" || die "site: no model (pull failed and the model generator failed)"

  # 1. The sample city's web site on loopback.
  "${py}" "${REPO_DIR}/tools/sitegen/sitegen.py" "${out}/site" | sed 's/^/run: site: /'
  rm -f "${out}/site.port"
  "${py}" "${REPO_DIR}/tools/sitegen/siteserver.py" "${out}/site" --port-file "${out}/site.port" \
    >"${out}/siteserver.log" 2>&1 &
  SITE_PID=$!
  trap 'kill "${SITE_PID}" "${SERVE_PID:-}" 2>/dev/null || true' EXIT
  local i site_port=""
  for i in $(seq 1 100); do
    [[ -s "${out}/site.port" ]] && site_port="$(cat "${out}/site.port")" && break
    sleep 0.1
  done
  [[ -n "${site_port}" ]] || die "site: the sample site server did not start: $(tail -n 3 "${out}/siteserver.log")"
  local site="http://127.0.0.1:${site_port}"
  say "site: the sample city site is served at ${site}/"

  # 2. Crawl it into a fresh store.
  rm -rf "${out}/imi-data"
  say "site: imi crawl ${site}/ --collection city --store ${out}/imi-data --log ${out}/crawl.jsonl"
  "${IMI}" crawl "${site}/" --collection city --store "${out}/imi-data" --model "${model}" --concurrency 4 \
    --delay-ms 20 --timeout-ms 2000 --retries 1 --log "${out}/crawl.jsonl" 2>"${out}/crawl.err" |
    sed 's/^/run: site: /'
  [[ "${PIPESTATUS[0]}" == 0 ]] || die "site: imi crawl failed: $(tail -n 3 "${out}/crawl.err")"

  # 3. Serve it; the widget may be embedded in the city's own pages (CORS).
  "${IMI}" serve --model "${model}" --store "${out}/imi-data" --host 127.0.0.1 --port 0 --no-access-log \
    --cors-origin "${site}" 2>"${out}/serve.log" &
  SERVE_PID=$!
  DEMO_PORT=""
  for i in $(seq 1 600); do
    DEMO_PORT="$(sed -n 's/.*ready on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "${out}/serve.log" | head -n 1)"
    [[ -n "${DEMO_PORT}" ]] && break
    kill -0 "${SERVE_PID}" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "${DEMO_PORT}" ]] || die "site: imi serve did not start: $(tail -n 3 "${out}/serve.log")"
  local imi="http://127.0.0.1:${DEMO_PORT}"

  # 4. The same query three ways, as the search page runs it.
  local query='粗大ごみの出し方' mode
  for mode in keyword semantic hybrid; do
    curl -sS --fail-with-body -G "${imi}/search/results" --data-urlencode "c=city" --data-urlencode "q=${query}" \
      --data-urlencode "mode=${mode}" | "${py}" -c '
import json, sys
asked = sys.argv[1]
r = json.load(sys.stdin)
if r["mode"] != asked:
    print("run: site: %s search: not offered by this build (modes: %s); showing %s" % (asked, ", ".join(r["modes"]), r["mode"]))
print("run: site: %s search for %s: %d results" % (r["mode"], r["query"], r["total"]))
for hit in r["results"][:3]:
    snippet = "".join(("[" + p["text"] + "]") if p["mark"] else p["text"] for p in hit["snippet"])
    print("run: site:   %d. %s  %s" % (hit["rank"], hit["title"], hit["url"]))
    print("run: site:      " + snippet[:90])
' "${mode}" || die "site: the ${mode} search failed"
  done
  # The hybrid ranking through the collections API: every result's fused
  # score with each component's own score and rank (why it ranks there).
  curl -sS --fail-with-body -X POST "${imi}/collections/city/search" -H 'Content-Type: application/json' \
    --data "$("${py}" -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "mode": "hybrid", "k": 3}))' \
      "${query}")" | "${py}" -c '
import json, sys, urllib.parse
r = json.load(sys.stdin)
fusion = r.get("fusion", {})
print("run: site: POST /collections/city/search mode=hybrid (%s over %s): component scores and ranks"
      % (fusion.get("method", "?"), " + ".join(r.get("components", []))))
for i, hit in enumerate(r["results"], 1):
    parts = ", ".join("%s #%s score %.4f" % (name, c.get("rank", "-"), c.get("score", float("nan")))
                      for name, c in sorted(hit.get("components", {}).items()))
    page = urllib.parse.urlsplit(hit["id"]).path or hit["id"]
    print("run: site:   %d. %-28s fused %.4f = %s" % (i, page[:28], hit["score"], parts))
' || die "site: the hybrid search through the API failed"
  say "site: search page: ${imi}/search?c=city&q=$("${py}" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "${query}")"
  say "site: (English: add &lang=en)  widget on the city's page: ${site}/_widget.html?imi=${imi}&c=city"
  if [[ -t 0 ]]; then
    say "site: serving until Ctrl-C"
    wait "${SERVE_PID}" || true
  fi
  kill "${SERVE_PID}" "${SITE_PID}" 2>/dev/null || true
  wait "${SERVE_PID}" 2>/dev/null || true
  trap - EXIT
  say "site: servers stopped; the store stays in ${out}/imi-data"
}

STEPS=(version normalize search site)

main() {
  cd "${REPO_DIR}"
  if [[ "${IMI_SKIP_SETUP:-0}" != 1 ]]; then
    bash scripts/setup.sh </dev/null || die "setup: scripts/setup.sh failed (see its message above)"
  fi
  if [[ -n "${IMI_BIN:-}" ]]; then
    IMI="${IMI_BIN}"
  else
    say "build: ${BUILD_DIR}/imi"
    cmake -S . -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null || die "configure: cmake failed"
    ninja -C "${BUILD_DIR}" -j"${JOBS}" imi || die "build: ninja failed"
    IMI="${REPO_DIR}/${BUILD_DIR}/imi"
    [[ "${BUILD_DIR}" == /* ]] && IMI="${BUILD_DIR}/imi"
  fi
  local step
  for step in "${STEPS[@]}"; do
    say "== ${step}"
    "step_${step}" || die "${step}: exited with status $?"
  done
  say "done"
}

main "$@"
