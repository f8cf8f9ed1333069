#!/bin/sh
# Starts a demo tessera-node on 127.0.0.1 (plain CoAP on 5683, DTLS-PSK on
# 5684) and places a retail bet with libcoap's own coap-client.
#
#   deploy/node/demo.sh [BUILD_BIN_DIR] [WORK_DIR]
#
# Steps: a fresh key set (tessera keygen), a pick3 cutoff token signed by
# the draw authority for the next draw (tessera token sign), a funded float
# for terminal term-1, a node config whose offset clock puts "now" one hour
# before that draw's cutoff (this machine's kernel clock is not NTP
# synchronized, so the system clock would correctly refuse every sale),
# then the node, GET /v1/health and POST /v1/bets.
set -eu
BIN=${1:-build/bin}
WORK=${2:-/tmp/tessera-node-demo}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
COAP=$(command -v coap-client || command -v coap-client-openssl)
rm -rf "$WORK"
"$BIN/tessera" keygen --out "$WORK" --nodes 1 --terminals 2 >/dev/null

# pick3 draws daily at 15:00 New York time; draw number = days since the
# catalogue's draw_epoch (2024-01-01). Take tomorrow's draw.
day=$(TZ=America/New_York date -d tomorrow +%F)
prev=$(TZ=America/New_York date -d today +%F)
draw=$(( ( $(date -u -d "$day" +%s) - $(date -u -d 2024-01-01 +%s) ) / 86400 ))
ns() { echo "$(TZ=America/New_York date -d "$1" +%s)000000000"; }
cutoff=$(ns "$day 15:00"); results=$(ns "$day 16:00"); open=$(ns "$prev 16:00")
mkdir -p "$WORK/tokens"
"$BIN/tessera" token sign --key "$WORK/keys/draw-authority.key" --game pick3 --draw "$draw" \
    --sales-open-ns "$open" --cutoff-ns "$cutoff" --results-ns "$results" \
    --seed-commitment "$(printf '%064d' 0)" --issued-ns "$open" --out "$WORK/tokens/pick3.json"

now_ms=$(date +%s%3N)
offset_ms=$(( cutoff / 1000000 - 3600000 - now_ms ))
sed -e "s|@WORK@|$WORK|g" -e "s|@SRC@|$SRC|g" -e "s|@OFFSET@|$offset_ms|g" \
    "$SRC/deploy/node/node.example.json" > "$WORK/node.json"
"$BIN/tessera-node" --config "$WORK/node.json" >"$WORK/node.log" 2>&1 &
echo $! > "$WORK/node.pid"
sleep 1
# the shop's cash float pays for retail tickets (the node created the db)
"$BIN/tessera" player float --db "$WORK/node.db" --terminal term-1 --amount 500.00 --ref demo-float
"$COAP" -m get "coap://127.0.0.1:5683/v1/health"
echo
"$COAP" -m post -t json \
    -e '{"game":"pick3","bet":{"type":"straight","numbers":[1,2,3],"stake":"1.00"},"idempotency_key":"demo-bet-0001"}' \
    "coap://127.0.0.1:5683/v1/bets?terminal=term-1"
echo
echo "node running (pid $(cat "$WORK/node.pid"), log $WORK/node.log); stop it with: kill $(cat "$WORK/node.pid")"
