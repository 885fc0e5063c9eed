#!/usr/bin/env bash
# Set-up on a fresh machine: Node packages (npm ci) and, later, the VS Code
# test host. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
