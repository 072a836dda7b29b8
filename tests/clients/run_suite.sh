#!/bin/sh
# Runs one client-compatibility suite (tests/clients/SUITE.test.mjs) with
# node's test runner; exits 77 (skip) naming what is missing.
#   run_suite.sh SUITE   (environment from tests/clients/CMakeLists.txt)
set -eu
suite=$1
here=$(dirname "$0")
skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup.sh)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || skip "node $(node --version) is older than 20, which the client libraries need"
[ -d "$IMI_CLIENTS_NODE_MODULES/openai" ] || skip "$IMI_CLIENTS_NODE_MODULES has no client libraries (run scripts/setup.sh)"
[ -x "$IMI_BINARY" ] || skip "the imi binary is not built at $IMI_BINARY"
[ -f "$IMI_SHARED_DIR/tokenizers/xlmr-style-ja-en-unigram-32k/tokenizer.json" ] || skip "shared fixtures are missing at $IMI_SHARED_DIR"
if [ "$suite" = browser ]; then
  [ -x /usr/bin/chromium ] || skip "Debian's chromium is not installed (run scripts/setup.sh)"
fi
exec node --test --test-reporter=spec "$here/$suite.test.mjs"
