#!/usr/bin/env bash
# Runs the demo's checks again on a data directory scripts/demo.sh left
# (with everything stopped): the records verify and altered copies do not,
# every game sold, every payout applied once and credited where it belongs
# with central's totals, every ledger balances, every receipt is at
# central (deploy/demo/checks.sh; docs/demo.md). Exit 0 when all pass, 1
# with "demo: FAILED: <what>" on the first that does not.
#
# usage: deploy/demo/recheck.sh DATA_DIR [BIN_DIR [CHECK...]]
# CHECK: records, sold, payouts, ledgers, receipts (default: all, in that order)
set -euo pipefail
[ $# -ge 1 ] && [ -f "$1/demo-vars.sh" ] || { echo "usage: $0 DATA_DIR [BIN_DIR] (a directory scripts/demo.sh left)" >&2; exit 64; }
data=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${2:-$src/build/bin}
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
# shellcheck source=/dev/null
. "$data/demo-vars.sh" # games, draw_no
# shellcheck source=checks.sh
. "$src/deploy/demo/checks.sh"
shift $(( $# >= 2 ? 2 : 1 ))
if [ $# -eq 0 ]; then
  demo_check_all
fi
for c in "$@"; do
  case "$c" in
    records|sold|payouts|ledgers|receipts) "demo_check_$c" ;;
    *) echo "recheck: unknown check '$c'" >&2; exit 64 ;;
  esac
done
echo "recheck OK: $data"
