#!/usr/bin/env bash
# Set-up on a fresh machine, idempotent:
#   1. Debian packages the VS Code test host needs (chromium, ripgrep, libkrb5-dev),
#   2. the Node packages (npm ci),
#   3. the VS Code test host: code-server + playwright-core in a cache folder
#      (scripts/vscode-host.mjs install).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in chromium ripgrep libkrb5-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

npm ci --no-audit --no-fund
node scripts/vscode-host.mjs install
