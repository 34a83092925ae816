#!/usr/bin/env bash
# Runs every test (node's test runner through tsx). Tests start their own redis-server.
# Extra arguments go to node, e.g. `bash scripts/test.sh --test-name-pattern=health`.
# An unhandled promise rejection fails the run; a test file still running after
# 10 minutes fails instead of hanging CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "redis-server is missing: run scripts/install-deps.sh (apt-get install -y redis-server)" >&2; exit 1; }
[ -d node_modules ] || npm ci --no-audit --no-fund
mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/fixtures/*' | sort)
exec node --import tsx --unhandled-rejections=strict --test --test-concurrency=2 --test-timeout=600000 "$@" "${files[@]}"
