# The demo's closing summary (sourced by scripts/demo.sh after every check
# passed). Reads only files the demo left in its data directory:
#   load.json, receipts.jsonl       tessera-load's summary and every receipt (online)
#   load-retail.json, receipts-retail.jsonl   the same for the retail tills
#   central-status.json             tessera-central status --json
#   draw/status.json                tessera-central draw status --json
#   draw/ready-<game>-<draw>.json   tessera-central draw-ready --json
#   draw/verify-*.txt, node-*/ledger-check.txt, node-*/health.json
# the stopped nodes' stores (node-*/node.db, read only), and the shell
# variables data, games, draw_no, regions, demo_date, demo_tz,
# payouts_central, payouts_nodes, receipts_held, receipts_at_central, t_begin,
# payout_lines (demo_check_payouts), replay, replay_line (replay_check).

# jq: cents as money ("1234.05"), for non-negative amounts.
demo_jq_money='def money: "\(. / 100 | floor).\(. % 100 | tostring | if length < 2 then "0" + . else . end)";'

# jq: one drawn pool ({"main": [..], "bonus": [..]}) in draw order.
demo_jq_pool='def pool: (.main | map(tostring) | join(" "))
  + (if (.bonus | length) > 0 then " bonus " + (.bonus | map(tostring) | join(" ")) else "" end);'

demo_summary_nodes() {
  local i node sold receipts central seals
  printf 'Tickets per node for draw %s (at the node, receipts the players got, held by central):\n' "$draw_no"
  for i in 1 2 3; do
    node=node-$i
    sold=$(sqlite3 -readonly "$data/$node/node.db" "SELECT count(*) FROM tickets WHERE draw = $draw_no")
    receipts=$(cat "$data/receipts.jsonl" "$data/receipts-retail.jsonl" |
               jq -r --arg n "$node" '.receipts[]? | select(.node == $n) | .ticket_id' | wc -l)
    central=$(jq -r --arg n "$node" '.nodes[] | select(.node == $n) | .tickets' "$data/central-status.json")
    seals=$(jq -r --arg n "$node" --argjson d "$draw_no" '
      [.nodes[] | select(.node == $n) | .draws[] | select(.draw == $d) | .state]
      | group_by(.) | map("\(length) \(.[0])") | join(", ")' "$data/central-status.json")
    printf '  %-7s %-10s node %7d   receipts %7d   central %7d   seals: %s\n' \
      "$node" "(${regions[$((i - 1))]})" "$sold" "$receipts" "$central" "$seals"
  done
  printf '  (a sale whose answer was lost on the way is at the node and at central, not with the player)\n'
  printf '  online and retail (channel 1 and 2) per game, all nodes: %s\n' "$(
    for node in node-1 node-2 node-3; do
      sqlite3 -readonly -separator ' ' "$data/$node/node.db" \
        "SELECT game, channel, count(*) FROM tickets WHERE draw = $draw_no GROUP BY 1, 2"
    done | awk '{ n[$1 " " $2] += $3; g[$1] = 1 } END { for (x in g) printf "%s %d+%d, ", x, n[x " 1"], n[x " 2"] }' |
    sed 's/, $//')"
}

demo_summary_draws() {
  local g
  printf '\nDraws %s (reconciliation, winning numbers, winners and amounts per tier):\n' "$draw_no"
  for g in "${games[@]}"; do
    jq -r --arg g "$g" --argjson d "$draw_no" --slurpfile cat "$data/catalog.json" \
       --slurpfile ready "$data/draw/ready-$g-$draw_no.json" "$demo_jq_money$demo_jq_pool"'
      (.draws[] | select(.game == $g and .draw == $d)) as $x
      | ($cat[0].games[] | select(.id == $g)) as $game
      | ($ready[0].nodes | to_entries | map(.value.state) | group_by(.)
         | map("\(length) \(.[0])") | join(", ")) as $recon
      | "  \($g): \($x.report.tickets) tickets, sales \($x.report.sales_cents | money); nodes: \($recon); state \($x.state)",
        "    numbers: \($x.numbers | length as $np | [to_entries[]
            | if .key == 0 then (.value | pool)
              elif $game.addons.multiplier != null and .key == $np - 1
              then "multiplier x\($game.addons.multiplier.values[.value.main[0]])"
              else "second pool \(.value | pool)" end] | join(", "))",
        ( $x.report.tiers | to_entries[] | select(.value.winners > 0)
          | "    \($game.prizes[.key].name // "tier \(.key + 1)" | .[0:28] | . + " " * (28 - length)) \(.value.winners | tostring | " " * (6 - length) + .) winners  \(.value.paid_cents | money)" ),
        ( if ([$x.report.tiers[].winners] | add) == 0 then "    no winners" else empty end ),
        "    paid \($x.report.paid_cents | money), refunded \($x.report.refunded_cents | money)\(if $x.report.jackpot_next_cents > 0 then ", next jackpot \($x.report.jackpot_next_cents | money)" else "" end)"
    ' "$data/draw/status.json"
  done
}

demo_summary_load() {
  local peak
  # the busiest second by the nodes' own acceptance times (accepted_at_ns)
  peak=$(jq -r '.receipts[]?.accepted_at_ns' "$data/receipts.jsonl" | cut -c1-10 | sort | uniq -c |
           sort -n | tail -1 | awk '{ print $1 }')
  printf '\nLoad (tessera-load, open loop, a day compressed into %ss):\n' "$(jq -r '.send_s | floor' "$data/load.json")"
  jq -r --arg peak "${peak:-0}" '
    "  \(.sent) requests, \(.ops.bet.ok) bets accepted; throughput at peak \($peak) bets/s (busiest second); average \(.bets_per_s | floor) bets/s",
    "  bet latency ms: p50 \(.ops.bet.latency_ms.p50 * 100 | round / 100), p99 \(.ops.bet.latency_ms.p99 * 100 | round / 100), max \(.ops.bet.latency_ms.max * 100 | round / 100)",
    ( [.ops[] | .errors | to_entries[] | select(.value > 0)] | group_by(.key)
      | map("\(.[0].key) \(map(.value) | add)") | join(", ")
      | if . == "" then "  refusals: none" else "  refusals: \(.)" end )
  ' "$data/load.json"
  jq -r '"  retail tills: \(.sent) requests, \(.ops.bet.ok) bets accepted; bet p50 \(.ops.bet.latency_ms.p50 * 100 | round / 100) ms, p99 \(.ops.bet.latency_ms.p99 * 100 | round / 100) ms"' \
    "$data/load-retail.json"
}

demo_summary_checks() {
  local g i ok=0 n=${#games[@]}
  for g in "${games[@]}"; do
    grep -q '^ok:' "$data/draw/verify-$g-$draw_no.txt" && ok=$((ok + 1))
  done
  printf '\nChecks:\n'
  printf '  receipts at central: %s of %s receipted tickets (every bet with a receipt, exactly once)\n' \
    "$receipts_at_central" "$receipts_held"
  printf '  payouts applied: %s of %s payout entries central sent (each node applies each payout id once)\n' \
    "$payouts_nodes" "$payouts_central"
  printf '  verification: %s of %s draw records OK (tessera verify, draw-authority key pinned)\n' "$ok" "$n"
  printf '  tampering: %s altered records (a number, a reveal, a seal root per draw) all rejected\n' \
    "$(cat "$data"/draw/tamper-*-"$draw_no".txt | wc -l)"
  printf '  payouts exactly once, credited where they belong; totals = central'"'"'s per node, = the settlement report per draw:\n'
  printf '    %s\n' "${payout_lines[@]}"
  if [ "$replay" = 1 ]; then
    printf '  replay: %s\n' "$replay_line"
  fi
  for i in 1 2 3; do
    printf '  node-%s %s\n' "$i" "$(head -1 "$data/node-$i/ledger-check.txt")"
  done
}

demo_summary() {
  printf '\n==================== Tessera demo day: summary ====================\n'
  printf 'Day: %s, cutoff 15:00 %s. Every component ran the offset clock\n' \
    "$(date -u -d "$demo_date" '+%a %F')" "$demo_tz"
  printf '("clock": "offset"): this machine'"'"'s clock is not NTP-synchronized, and the demo\n'
  printf 'places "now" shortly before that cutoff whatever the time of day.\n\n'
  demo_summary_nodes
  demo_summary_draws
  demo_summary_load
  demo_summary_checks
  printf '\nData: %s (summary.txt, logs/, draw/ records and manifests, node DBs)\n' "$data"
  printf 'Took %ss. Demo OK.\n' $((SECONDS - t_begin))
}
