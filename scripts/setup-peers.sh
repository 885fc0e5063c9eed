#!/usr/bin/env bash
# The benchmark's peers (npm run bench), idempotent: Debian's numpy and PyTorch for /usr/bin/python3,
# and OpenBLAS (pthreads) so that numpy does not fall back to the reference BLAS (about 10× slower).
# Not needed for anything else; the benchmark prints a note for each peer that is missing.
set -euo pipefail

need=()
for p in python3 python3-numpy python3-torch libopenblas0-pthread; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-peers: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
else
  echo "setup-peers: python3-numpy, python3-torch and libopenblas0-pthread are installed"
fi
/usr/bin/python3 "$(dirname "$0")/../bench/peers/probe.py"
