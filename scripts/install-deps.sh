#!/usr/bin/env bash
# Installs what freecti needs on Debian/Ubuntu: redis-server (the tests start their own;
# install-and-run.sh uses it when no Redis is configured) and the npm packages.
# Needs Node.js >= 20.19 and npm already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: Node.js >= 20.19 and npm are required (https://nodejs.org/)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "install-deps: Node.js >= 20.19 is required, found $(node --version)" >&2
  exit 1
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: redis-server is missing; install it with your package manager" >&2
    exit 1
  fi
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "install-deps: installing redis-server"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
fi

# npm ci unless node_modules already matches package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "install-deps: node_modules is up to date"
fi
