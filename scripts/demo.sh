#!/usr/bin/env bash
# The demo day (README quick start, first command). Installs, builds, then
# runs what the platform has end to end in a temporary data directory that
# it leaves for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
bin=$PWD/build/bin
data=$(mktemp -d /tmp/tessera-demo-XXXXXX)
echo "== demo data directory: $data"
"$bin/tessera" keygen --out "$data/keys" --nodes 3 --terminals 4 --witnesses 2
"$bin/tessera" games list
echo "== demo finished; data left in $data"
