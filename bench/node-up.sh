#!/usr/bin/env bash
# Brings up one selling tessera-node on loopback in DIR, for the terminal
# tests and the node benchmark:
#   keys (tessera keygen: node key, draw authority, terminal PSKs),
#   a config (plain coap:// and coaps:// on free 127.0.0.1 ports),
#   cutoff tokens for every game's next draw, signed by the draw authority
#   (the node asks its own catalogue which draw is next: GET /v1/draws),
#   an agent with a PIN and a float on terminal term-1.
# Prints shell assignments (NODE_PID, COAP_PORT, COAPS_PORT, DIR, ...) on
# stdout for `eval`; logs go to DIR/node.log. Stop with: kill $NODE_PID.
#
# usage: bench/node-up.sh DIR [BIN_DIR]
#   env: TSR_NODE_EXTRA='"group_commit_max": 512,' adds config keys
#        TSR_AGENT_PIN (default 4321), TSR_FLOAT (default 100000.00)
#        TSR_NODE_CLOCK: "offset" (default: this machine's clock taken as
#        synchronized within 10 ms, for machines without NTP discipline) or
#        "system" (the kernel's NTP state decides, as in production)
set -euo pipefail
dir=${1:?usage: node-up.sh DIR [BIN_DIR]}
bin=${2:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
src=$(cd "$(dirname "$0")/.." && pwd)
pin=${TSR_AGENT_PIN:-4321}
float=${TSR_FLOAT:-100000.00}
mkdir -p "$dir/tokens"
"$bin/tessera" keygen --out "$dir/keys" --nodes 1 --terminals 2 >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
coap_port=$(free_port)
coaps_port=$(free_port)
while [ "$coaps_port" = "$coap_port" ]; do coaps_port=$(free_port); done

cat > "$dir/node.json" <<EOF
{
  "node_id": "node-1",
  "listen_addr": "127.0.0.1",
  "coap_port": $coap_port,
  "coaps_port": $coaps_port,
  "allow_plain_coap": true,
  "db_path": "$dir/node.db",
  "node_key": "$dir/keys/keys/node-1.key",
  "psk_table": "$dir/keys/terminals/psk-table.json",
  "draw_authority_key": "$dir/keys/keys/draw-authority.pub",
  "catalog_file": "$src/deploy/catalog/tessera.json",
  "tokens_dir": "$dir/tokens",
  ${TSR_NODE_EXTRA:-}
  "log_level": "warn",
  "cancel_games": ["pick3", "pick4", "keno"],
  "clock": "${TSR_NODE_CLOCK:-offset}", "clock_offset_ms": 0, "clock_offset_error_ms": 10,
  "accounts": {"pwhash_ops": 1, "pwhash_mem_kib": 1024, "psp_provider": "sandbox",
               "psp_secret": "3031323334353637383961626364656630313233343536373839616263646566"}
}
EOF

start_node() {
  "$bin/tessera-node" --config "$dir/node.json" >>"$dir/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 100); do
    if "$bin/tessera-terminal" --node "coap://127.0.0.1:$coap_port" --terminal term-1 \
         --state "$dir/probe.state" --timeout 1 health >/dev/null 2>&1; then return 0; fi
    kill -0 "$node_pid" 2>/dev/null || { echo "node-up: tessera-node exited, see $dir/node.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "node-up: the node never answered, see $dir/node.log" >&2
  exit 1
}

# 1. start once to learn each game's next draw, then sign its token
start_node
term=("$bin/tessera-terminal" --node "coap://127.0.0.1:$coap_port" --terminal term-1 --state "$dir/probe.state" --json)
now_ns=$(date +%s%N)
# the next TSR_ADVANCE_DRAWS draws of every game (advance play needs a token
# for each): later draws follow the catalogue's weekdays, same cutoff time
# of day (no DST change inside a test's few days is assumed)
"${term[@]}" draws | jq -c '.result[] | select(.draw != null)' |
python3 -c '
import json, sys, datetime
cat = json.load(open(sys.argv[1])); n = int(sys.argv[2])
epoch = (datetime.date.fromisoformat(cat["draw_epoch"]) - datetime.date(1970, 1, 1)).days
names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
games = {g["id"]: g for g in cat["games"]}
for line in sys.stdin:
    d = json.loads(line); g = games[d["game"]]; days = g["schedule"]["days"]
    draw, k = d["draw"], 0
    while k < n:
        wd = names[(draw + epoch + 4) % 7]
        if days == "daily" or wd in days:
            print(d["game"], draw, d["cutoff_at_ns"] + (draw - d["draw"]) * 86400 * 10**9)
            k += 1
        draw += 1
' "$src/deploy/catalog/tessera.json" "${TSR_ADVANCE_DRAWS:-4}" |
while read -r game draw cutoff; do
  "$bin/tessera" token sign --key "$dir/keys/keys/draw-authority.key" --game "$game" --draw "$draw" \
    --sales-open-ns $((now_ns - 3600000000000)) --cutoff-ns "$cutoff" \
    --results-ns $((cutoff + 3600000000000)) \
    --seed-commitment "$(printf '%064d' 0 | tr 0 a)" --out "$dir/tokens/$game-$draw.json" >/dev/null
done
kill "$node_pid"; wait "$node_pid" 2>/dev/null || true

# 2. the agent of term-1 and its float (the node created the database)
"$bin/tessera" player agent-add --db "$dir/node.db" --terminal term-1 --name alice --pin "$pin" >/dev/null
"$bin/tessera" player float --db "$dir/node.db" --terminal term-1 --amount "$float" --ref setup-1 >/dev/null

# 3. the selling node
start_node
rm -f "$dir/probe.state"
cat <<EOF
NODE_PID=$node_pid
COAP_PORT=$coap_port
COAPS_PORT=$coaps_port
NODE_DIR=$dir
NODE_DB=$dir/node.db
TERM1_PSK=$dir/keys/terminals/term-1.psk
TERM2_PSK=$dir/keys/terminals/term-2.psk
AGENT=alice
AGENT_PIN=$pin
EOF
