# The demo's checks on the published record and the money (sourced by
# scripts/demo.sh once everything is stopped; docs/demo.md). Each function
# calls fail (the demo's: "demo: FAILED: <what>", exit 1) on the first
# problem, naming it. Reads the shell variables bin, data, games, draw_no.

# ---- the published draw records --------------------------------------------------

# Writes FILE's bytes into OUT with the first occurrence of the literal
# text FROM replaced by TO; fails when FROM is not there (so an alteration
# that did not happen can never pass as "detected").
demo_replace_once() {
  local file=$1 out=$2 from=$3 to=$4 text
  text=$(<"$file")
  [[ $text == *"$from"* ]] || return 1
  printf '%s' "${text/"$from"/"$to"}" >"$out"
}

# A hex string with its first digit changed.
demo_flip_hex() {
  local h=$1
  if [ "${h:0:1}" = 0 ]; then echo "1${h:1}"; else echo "0${h:1}"; fi
}

# tessera verify on FILE; true when it accepts it. Its output goes to OUT.
demo_verify() {
  "$bin/tessera" verify --authority-key "$data/keys/keys/draw-authority.pub" "$1" >"$2" 2>&1
}

# One altered copy of game G's record must fail verification.
# usage: demo_tamper G WHAT FROM TO
demo_tamper() {
  local g=$1 what=$2 from=$3 to=$4 rec copy
  rec=$data/draw/record-$g-$draw_no.json
  copy=$data/draw/tampered-$what-$g-$draw_no.json
  demo_replace_once "$rec" "$copy" "$from" "$to" || fail "tamper $g/$draw_no: no $what to alter in the record"
  cmp -s "$rec" "$copy" && fail "tamper $g/$draw_no: the altered $what left the record unchanged"
  if demo_verify "$copy" "$copy.txt"; then
    fail "tessera verify accepted $g/$draw_no with an altered $what ($copy)"
  fi
  printf '%-7s %s\n' "$what" "$(head -1 "$copy.txt")" >>"$data/draw/tamper-$g-$draw_no.txt"
}

# Every record verifies; a byte-identical rewrite (the alteration path with
# nothing altered) verifies too; and altering one field fails each time:
# the first drawn number, the witness's revealed seed, a node's seal root.
demo_check_records() {
  local g rec prefix v min seed root
  for g in "${games[@]}"; do
    rec=$data/draw/record-$g-$draw_no.json
    demo_verify "$rec" "$data/draw/verify-$g-$draw_no.txt" ||
      fail "tessera verify $g/$draw_no: $(cat "$data/draw/verify-$g-$draw_no.txt")"
    : >"$data/draw/tamper-$g-$draw_no.txt"
    demo_replace_once "$rec" "$data/draw/copy-$g-$draw_no.json" '"draw":' '"draw":' &&
      demo_verify "$data/draw/copy-$g-$draw_no.json" "$data/draw/copy-$g-$draw_no.txt" ||
      fail "tessera verify rejects an unaltered copy of $g/$draw_no (the tamper checks would prove nothing)"
    prefix=$(grep -o -m1 '"numbers":\[{"bonus":\[[0-9,]*\],"main":\[[0-9]*' "$rec") ||
      fail "tamper $g/$draw_no: no drawn numbers in the record"
    v=${prefix##*[}
    min=$(jq '.shape.pools[0].min' "$rec")
    demo_tamper "$g" number "$prefix" "${prefix%[*}[$(( v == min ? v + 1 : v - 1 ))"
    seed=$(jq -r '.witnesses[0].seed' "$rec")
    demo_tamper "$g" reveal "\"seed\":\"$seed\"" "\"seed\":\"$(demo_flip_hex "$seed")\""
    root=$(jq -r '.manifest.seals[0].seal.merkle_root' "$rec")
    demo_tamper "$g" seal-root "\"merkle_root\":\"$root\"" "\"merkle_root\":\"$(demo_flip_hex "$root")\""
  done
}

# ---- every payout entry, at the node that sold the ticket ---------------------------

# SQL run on a node's store with central's attached as c (both read-only):
# one line per problem with central's payout entries of draw D for node N.
# A win is booked once (sync_payouts, the accounts' payouts row, one
# ledger transaction) and credited where it belongs: an online ticket's
# wallet (player:<id>), a retail ticket's prize_payable (state payable, or
# paid: then exactly one terminal payment, "claim", of the net amount), a
# claim-centre prize owed (claim_centre). A refund returns the stake once
# (one "refund" transaction for the ticket).
demo_payout_sql() {
  local node=$1 d=$2
  cat <<SQL
.bail on
CREATE TEMP VIEW want AS
  SELECT payout_id AS pidb, lower(hex(payout_id)) AS pid, ticket_id AS tidb,
         lower(hex(ticket_id)) AS tid, game, kind, klass, amount_cents AS amt,
         withheld_cents AS wh
  FROM c.day_payouts WHERE draw = $d AND node = '$node';
CREATE TEMP VIEW wins AS
  SELECT w.*, t.player_id FROM want w LEFT JOIN tickets t ON t.id = w.tidb WHERE w.kind = 1;
SELECT 'payout ' || pid || ': ticket ' || tid || ' is not one this node sold for ' || game
  FROM want w WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = w.tidb AND t.game = w.game
                                 AND t.draw = $d);
SELECT 'payout ' || pid || ': not applied as central built it'
  FROM want w WHERE NOT EXISTS (
    SELECT 1 FROM sync_payouts s WHERE s.payout_id = w.pidb AND s.ticket_id = w.tidb
      AND s.kind = w.kind AND s.amount_cents = w.amt AND s.withheld_cents = w.wh
      AND s.claim_centre = (w.klass = 3));
SELECT 'payout ' || lower(hex(payout_id)) || ': applied here but central never sent it'
  FROM sync_payouts s WHERE s.draw = $d AND NOT EXISTS (SELECT 1 FROM want w WHERE w.pidb = s.payout_id);
SELECT 'prize ' || pid || ': ' || n || ' ledger transactions'
  FROM (SELECT w.pid, (SELECT count(*) FROM ledger_tx x WHERE x.kind = 'payout' AND x.ref = w.pid) AS n
        FROM wins w) WHERE n <> 1;
SELECT 'prize ' || pid || ': credited ' || coalesce(got, 'nothing') || ' to ' || acct || ', not ' || (amt - wh)
  FROM (SELECT w.*, CASE WHEN w.player_id IS NOT NULL AND w.klass <> 3
                         THEN 'player:' || w.player_id ELSE 'prize_payable' END AS acct,
          (SELECT -sum(e.amount) FROM ledger_tx x JOIN ledger_entries e ON e.tx_id = x.id
             JOIN accounts a ON a.id = e.account_id
           WHERE x.kind = 'payout' AND x.ref = w.pid
             AND a.name = CASE WHEN w.player_id IS NOT NULL AND w.klass <> 3
                               THEN 'player:' || w.player_id ELSE 'prize_payable' END) AS got
        FROM wins w) WHERE got IS NOT amt - wh;
SELECT 'prize ' || w.pid || ': state ' || coalesce(p.state, 'missing') || ', not ' ||
       CASE WHEN w.klass = 3 THEN 'claim_centre' WHEN w.player_id IS NOT NULL THEN 'credited'
            ELSE 'payable' END
  FROM wins w LEFT JOIN payouts p ON p.payout_id = w.pid AND p.ticket_id = w.tid
       AND p.gross = w.amt AND p.withheld = w.wh
  WHERE coalesce(p.state, '') NOT IN (CASE WHEN w.klass = 3 THEN 'claim_centre'
                                           WHEN w.player_id IS NOT NULL THEN 'credited'
                                           ELSE 'payable' END,
                                      CASE WHEN w.klass <> 3 AND w.player_id IS NULL
                                           THEN 'paid' ELSE '-' END);
SELECT 'prize ' || pid || ': ' || n || ' payments at a terminal in state ' || coalesce(state, 'missing')
  FROM (SELECT w.pid, p.state,
          (SELECT count(*) FROM ledger_tx x WHERE x.kind = 'claim' AND x.ref = w.tid) AS n
        FROM wins w LEFT JOIN payouts p ON p.payout_id = w.pid)
  WHERE n <> (CASE WHEN state = 'paid' THEN 1 ELSE 0 END);
SELECT 'prize ' || pid || ': paid ' || coalesce(got, 'nothing') || ' at a terminal, not ' || (amt - wh)
  FROM (SELECT w.*, (SELECT sum(e.amount) FROM ledger_tx x JOIN ledger_entries e ON e.tx_id = x.id
                     WHERE x.kind = 'claim' AND x.ref = w.tid AND e.amount > 0) AS got
        FROM wins w JOIN payouts p ON p.payout_id = w.pid AND p.state = 'paid')
  WHERE got IS NOT amt - wh;
SELECT 'payout transaction ' || ref || ' is no prize central sent'
  FROM ledger_tx x WHERE x.kind = 'payout' AND x.ref NOT IN (SELECT pid FROM wins)
   AND x.ref IN (SELECT payout_id FROM payouts p JOIN tickets t ON lower(hex(t.id)) = p.ticket_id
                 WHERE t.draw = $d);
SELECT 'refund ' || pid || ': ' || n || ' refund transactions of ' || back || ', stake ' || amt
  FROM (SELECT w.pid, w.amt,
          (SELECT count(*) FROM ledger_tx x WHERE x.kind = 'refund' AND x.ref = w.tid) AS n,
          (SELECT sum(e.amount) FROM ledger_tx x JOIN ledger_entries e ON e.tx_id = x.id
           WHERE x.kind = 'refund' AND x.ref = w.tid AND e.amount > 0) AS back
        FROM want w WHERE w.kind = 2) WHERE n <> 1 OR back IS NOT amt;
SQL
}

# One line of a node's payouts of draw D from its own tables:
# "<wins> <gross> <withheld> <refunds> <refunded> <wallet> <payable> <paid> <claim>"
# (payable counts the retail prizes, paid those of them a till paid).
demo_node_payout_totals() {
  sqlite3 -readonly -separator ' ' "$data/$1/node.db" "
    SELECT (SELECT count(*) FROM sync_payouts WHERE draw = $2 AND kind = 1),
           (SELECT coalesce(sum(amount_cents), 0) FROM sync_payouts WHERE draw = $2 AND kind = 1),
           (SELECT coalesce(sum(withheld_cents), 0) FROM sync_payouts WHERE draw = $2 AND kind = 1),
           (SELECT count(*) FROM sync_payouts WHERE draw = $2 AND kind = 2),
           (SELECT coalesce(sum(amount_cents), 0) FROM sync_payouts WHERE draw = $2 AND kind = 2),
           (SELECT count(*) FROM payouts p JOIN sync_payouts s ON lower(hex(s.payout_id)) = p.payout_id
             WHERE s.draw = $2 AND p.state = 'credited'),
           (SELECT count(*) FROM payouts p JOIN sync_payouts s ON lower(hex(s.payout_id)) = p.payout_id
             WHERE s.draw = $2 AND p.state IN ('payable', 'paid')),
           (SELECT count(*) FROM payouts p JOIN sync_payouts s ON lower(hex(s.payout_id)) = p.payout_id
             WHERE s.draw = $2 AND p.state = 'paid'),
           (SELECT count(*) FROM payouts p JOIN sync_payouts s ON lower(hex(s.payout_id)) = p.payout_id
             WHERE s.draw = $2 AND p.state = 'claim_centre')"
}

# The same from central's payout rows for node N.
demo_central_payout_totals() {
  sqlite3 -readonly -separator ' ' "$data/central/central.db" "
    SELECT (SELECT count(*) FROM day_payouts WHERE draw = $2 AND node = '$1' AND kind = 1),
           (SELECT coalesce(sum(amount_cents), 0) FROM day_payouts WHERE draw = $2 AND node = '$1' AND kind = 1),
           (SELECT coalesce(sum(withheld_cents), 0) FROM day_payouts WHERE draw = $2 AND node = '$1' AND kind = 1),
           (SELECT count(*) FROM day_payouts WHERE draw = $2 AND node = '$1' AND kind = 2),
           (SELECT coalesce(sum(amount_cents), 0) FROM day_payouts WHERE draw = $2 AND node = '$1' AND kind = 2)"
}

# Every payout entry central built is applied exactly once at its node and
# credited where it belongs; per node the totals are central's; summed over
# the nodes, per game, they are the settlement report's (draw/status.json).
# Sets payout_lines (for the summary).
demo_check_payouts() {
  local i node problems want got g report nodes_sum w gross wh rf rfc wallet payable paid claim
  payout_lines=()
  for i in 1 2 3; do
    node=node-$i
    problems=$(demo_payout_sql "$node" "$draw_no" |
               sqlite3 -readonly -cmd "ATTACH 'file:$data/central/central.db?mode=ro' AS c" \
                 "$data/$node/node.db" 2>&1) || fail "payout check at $node: $problems"
    [ -z "$problems" ] || fail "payouts at $node: $(head -3 <<<"$problems" | tr '\n' ';') ($(wc -l <<<"$problems") problems)"
    want=$(demo_central_payout_totals "$node" "$draw_no")
    got=$(demo_node_payout_totals "$node" "$draw_no")
    [ "${got% * * * *}" = "$want" ] ||
      fail "payout totals at $node (wins gross withheld refunds refunded) $got, central's $want"
    read -r w gross wh rf rfc wallet payable paid claim <<<"$got"
    payout_lines+=("$node: $w wins $(demo_money "$gross") (withheld $(demo_money "$wh")): $wallet to wallets, $payable payable at terminals ($paid paid by a till), $claim claim centre; $rf refunds $(demo_money "$rfc")")
  done
  for g in "${games[@]}"; do
    report=$(jq -r --arg g "$g" --argjson d "$draw_no" '.draws[] | select(.game == $g and .draw == $d)
               | "\(.report.paid_cents) \(.report.withheld_cents) \(.report.refunded_cents)"' \
               "$data/draw/status.json")
    nodes_sum=$(for i in 1 2 3; do
                  sqlite3 -readonly -separator ' ' "$data/node-$i/node.db" "
                    SELECT coalesce(sum(CASE WHEN kind = 1 THEN amount_cents END), 0),
                           coalesce(sum(CASE WHEN kind = 1 THEN withheld_cents END), 0),
                           coalesce(sum(CASE WHEN kind = 2 THEN amount_cents END), 0)
                    FROM sync_payouts WHERE game = '$g' AND draw = $draw_no"
                done | awk '{ p += $1; w += $2; r += $3 } END { print p, w, r }')
    [ "$nodes_sum" = "$report" ] ||
      fail "$g/$draw_no: the nodes paid (gross withheld refunded) $nodes_sum, the settlement report says $report"
  done
}

# cents as money, e.g. 12345 -> 123.45
demo_money() { printf '%d.%02d' $(( $1 / 100 )) $(( $1 % 100 )); }

# Every game of the day sold tickets, and both channels sold (online
# players and retail tills): a day of every family, not of some.
demo_check_sold() {
  local g n i
  for g in "${games[@]}"; do
    n=$(jq --arg g "$g" --argjson d "$draw_no" \
          '.draws[] | select(.game == $g and .draw == $d) | .report.tickets' "$data/draw/status.json")
    [ "${n:-0}" -gt 0 ] || fail "$g/$draw_no sold no ticket"
  done
  for i in 1 2; do
    n=$(for node in node-1 node-2 node-3; do
          sqlite3 -readonly "$data/$node/node.db" "SELECT count(*) FROM tickets WHERE draw = $draw_no AND channel = $i"
        done | awk '{ s += $1 } END { print s + 0 }')
    [ "$n" -gt 0 ] || fail "no $([ "$i" = 1 ] && echo online || echo retail) ticket sold for draw $draw_no"
  done
}

# tessera ledger-check on every node's store (its first line is kept for
# the summary in node-I/ledger-check.txt).
demo_check_ledgers() {
  local i
  for i in 1 2 3; do
    "$bin/tessera" ledger-check --db "$data/node-$i/node.db" >"$data/node-$i/ledger-check.txt" 2>&1 ||
      fail "tessera ledger-check node-$i: $(cat "$data/node-$i/ledger-check.txt")"
  done
}

# Invariant 1 of DESIGN.md: every ticket a player or a till holds a receipt
# for is in central's set exactly once (entries_ticket is unique among live
# tickets). Sets receipts_held and receipts_at_central.
demo_check_receipts() {
  cat "$data/receipts.jsonl" "$data/receipts-retail.jsonl" | jq -r '.receipts[]?.ticket_id' |
    grep -E '^[0-9a-f]{32}$' | sort -u >"$data/receipt-ids.txt" || true
  receipts_held=$(wc -l <"$data/receipt-ids.txt")
  receipts_at_central=$({
    echo "CREATE TEMP TABLE r(id BLOB PRIMARY KEY); BEGIN;"
    sed "s/.*/INSERT INTO temp.r VALUES(x'&');/" "$data/receipt-ids.txt"
    echo "COMMIT; SELECT count(*) FROM temp.r JOIN entries e ON e.ticket_id = r.id AND e.kind = 1 AND e.conflict = 0;"
  } | sqlite3 -readonly "$data/central/central.db")
  [ "$receipts_held" -gt 0 ] || fail "no receipts at all: nothing was sold"
  [ "$receipts_at_central" = "$receipts_held" ] ||
    fail "only $receipts_at_central of $receipts_held receipted tickets are at central"
}

# Every check above, in the demo's order.
demo_check_all() {
  demo_check_records
  demo_check_sold
  demo_check_payouts
  demo_check_ledgers
  demo_check_receipts
}
