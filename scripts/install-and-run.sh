#!/usr/bin/env bash
# Installs everything, builds, and runs freecti in the foreground (Ctrl-C stops it).
# Configuration comes from the environment (docs/configuration.md), e.g.
#   FREECTI_FS='fs1=MyEslPassword@127.0.0.1:8021' bash scripts/install-and-run.sh
# When REDIS_URL is unset and no Redis answers on 127.0.0.1:6379, a local redis-server
# is started (loopback only, data in .tmp/redis); set FREECTI_NO_LOCAL_REDIS=1 to skip.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
npm run build

if [ -z "${REDIS_URL:-}" ] && [ -z "${FREECTI_NO_LOCAL_REDIS:-}" ]; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    mkdir -p .tmp/redis
    echo "install-and-run: starting a local redis-server on 127.0.0.1:6379 (data in .tmp/redis)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PWD/.tmp/redis" \
      --logfile "$PWD/.tmp/redis/redis.log" --pidfile "$PWD/.tmp/redis/redis.pid" \
      || echo "install-and-run: could not start redis-server; freecti starts anyway and retries" >&2
  fi
fi

exec npm start
