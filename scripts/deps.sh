#!/usr/bin/env bash
# Installs the Debian 12 packages Tessera builds and tests with. Idempotent:
# runs apt-get (update once, then install) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcoap3-dev libcoap3-bin libmbedtls-dev libsqlite3-dev sqlite3
  nats-server libnats-dev libsodium-dev libjansson-dev check
  libmicrohttpd-dev libqrencode-dev zbar-tools dieharder libgoogle-perftools-dev
  iproute2 procps curl jq tzdata python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 69
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
