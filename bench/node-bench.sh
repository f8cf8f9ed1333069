#!/usr/bin/env bash
# The node benchmark: one tessera-node on loopback (bench/node-up.sh), then
# tessera-load in open loop at a constant rate — latency counted from each
# request's intended send time — over plain UDP (coap://) and over DTLS-PSK
# (coaps://). Retail sales: an agent logged in on term-1 sells bets of every
# family from the catalogue on the terminal's float.
#
# usage: bench/node-bench.sh [--rate N] [--duration S] [--warmup S] [--tills N]
#                            [--window N] [--bin DIR] [--only plain|dtls] [--keep]
# Prints each run's tessera-load report, then one summary line per transport.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
rate=15000 duration=30 warmup=5 tills=64 window=8192 only="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --tills) tills=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--rate N] [--duration S] [--warmup S] [--tills N] [--window N] [--bin DIR] [--only plain|dtls] [--keep]" >&2; exit 64 ;;
  esac
done

dir=$(mktemp -d /tmp/tessera-nodebench-XXXXXX)
# a float for the whole run: rate x duration bets of at most a few units
env_file=$dir/env
TSR_FLOAT=100000000.00 "$root/bench/node-up.sh" "$dir/node" "$bin" >"$env_file"
# shellcheck disable=SC1090
source "$env_file"
cleanup() {
  kill "$NODE_PID" 2>/dev/null || true
  wait "$NODE_PID" 2>/dev/null || true
  [ "$keep" = 1 ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT

run() { # name target extra-args...
  local name=$1 target=$2; shift 2
  echo "== $name: $target, open loop $rate/s for ${duration}s (warm-up ${warmup}s)"
  "$bin/tessera-load" --target "$target" --agent "$AGENT:$AGENT_PIN" "$@" \
    --catalog "$root/deploy/catalog/tessera.json" --mode open --rate "$rate" \
    --duration "$duration" --warmup "$warmup" --players "$tills" --window "$window" \
    --advance 0 --timeout-ms 2000 --attempts 3 --seed "$RANDOM" \
    --receipts "$dir/receipts-$name.jsonl" --json >"$dir/$name.json"
  jq -r '"sent \(.sent) in \(.send_s|floor)s, answered \(.answered), unanswered \(.unanswered), retried \(.retried); bets accepted/s \(.bets_per_s|floor); max send lag \(.max_send_lag_ms) ms"' "$dir/$name.json"
  jq -r '.ops.bet | "bet latency ms: p50 \(.latency_ms.p50) p90 \(.latency_ms.p90) p99 \(.latency_ms.p99) p99.9 \(.latency_ms["p99.9"]) max \(.latency_ms.max); errors \(.errors)"' "$dir/$name.json"
}

[ "$only" != dtls ] && run plain "coap://127.0.0.1:$COAP_PORT" --terminal term-1
[ "$only" != plain ] && run dtls "coaps://127.0.0.1:$COAPS_PORT" --psk "$TERM1_PSK"
echo "receipts: $(cat "$dir"/receipts-*.jsonl 2>/dev/null | wc -l) bet answers written"
