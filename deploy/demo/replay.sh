# The demo's payout replays (scripts/demo.sh --replay-check; docs/demo.md):
# the payout stream delivered again and a node killed while it applies its
# payouts must pay nothing twice. Sourced by scripts/demo.sh; uses its
# variables (bin, data, draw_no, node_ports, NATS_PORT) and functions
# (step, fail, draws_in, node_health, node_start, node_payouts_applied,
# central_payouts_for) and lib.sh.

# The JetStream stream of control messages and a node's durable consumer
# on it (sync/include/tessera/subjects.h: TSR_STREAM_CTL, "node-<node>").
REPLAY_STREAM=TSR_CTL
replay_consumer() { echo "node-node-$1"; } # node I is named node-I

# What a node has booked: payouts, prizes, ledger transactions, results,
# tokens, notifications and every account balance. Equal before and after
# a replay means the replay changed nothing.
replay_fingerprint() {
  sqlite3 -readonly "$data/$1/node.db" "
    SELECT (SELECT count(*) FROM sync_payouts) || ' payouts, ' ||
           (SELECT count(*) FROM payouts) || ' prizes, ' ||
           (SELECT count(*) FROM ledger_tx) || ' ledger transactions, ' ||
           (SELECT count(*) FROM sync_results) || ' results, ' ||
           (SELECT count(*) FROM tokens) || ' tokens, ' ||
           (SELECT count(*) FROM notifications) || ' notifications; balances ' ||
           (SELECT group_concat(name || '=' || balance, ' ')
              FROM (SELECT name, balance FROM accounts ORDER BY name))"
}

# Deletes node N's durable consumer: when the node (stopped) starts again
# it makes a new one that delivers every control message of the stream
# from the first (DeliverAll), i.e. a redelivery of all of them.
replay_rewind() {
  demo_js_api "$NATS_PORT" "\$JS.API.CONSUMER.DELETE.$REPLAY_STREAM.$(replay_consumer "$1")" |
    jq -e '.success == true' >/dev/null
}

# True when node N's consumer has delivered every message and the node
# acknowledged each (a node acknowledges after its commit).
replay_drained() {
  demo_js_api "$NATS_PORT" "\$JS.API.CONSUMER.INFO.$REPLAY_STREAM.$(replay_consumer "$1")" |
    jq -e '.num_pending == 0 and .num_ack_pending == 0 and .delivered.consumer_seq > 0' >/dev/null
}

# Messages delivered to node N's consumer so far.
replay_delivered() {
  demo_js_api "$NATS_PORT" "\$JS.API.CONSUMER.INFO.$REPLAY_STREAM.$(replay_consumer "$1")" |
    jq -r '.delivered.consumer_seq'
}

# Result and payout messages the stream holds (all nodes).
replay_stream_count() {
  demo_js_api "$NATS_PORT" "\$JS.API.STREAM.INFO.$REPLAY_STREAM" '{"subjects_filter":"tsr.ctl.*.*"}' |
    jq -e '[.state.subjects | to_entries[] | select(.key | test("\\.(result|payout)$")) | .value] | add // 0'
}

# Node I's relay counters since its start (GET /v1/health): payouts it
# booked as new, and control messages it refused (an alarm).
replay_fresh() {
  node_health "${node_ports[$(($1 - 1))]}" | jq -e '.result.relay.payouts_applied'
}
replay_refused() {
  node_health "${node_ports[$(($1 - 1))]}" | jq -e '.result.relay.controls_refused'
}

# After node I took its control stream again: it booked exactly FRESH
# payouts as new (the ones it had not committed) and refused nothing.
replay_expect_fresh() {
  local i=$1 want=$2 got refused
  got=$(replay_fresh "$i") || fail "node-$i health"
  refused=$(replay_refused "$i") || fail "node-$i health"
  [ "$got" = "$want" ] ||
    fail "node-$i booked $got payouts as new when its control stream came again, not $want"
  [ "$refused" = 0 ] || fail "node-$i refused $refused redelivered control messages (see $data/logs/node-$i.log)"
}

replay_node_has_all() {
  [ "$(node_payouts_applied "node-$1")" = "$(central_payouts_for "node-$1")" ]
}

# Starts node I again and waits until it answers, its consumer is drained
# and it holds all of its payouts.
replay_node_back() {
  local i=$1
  node_start "$i"
  demo_wait_for 30 "node-$i" "node-$i to answer again" node_health "${node_ports[$((i - 1))]}" ||
    fail "node-$i did not start again (see $data/logs/node-$i.log)"
  demo_wait_for 30 "node-$i" "node-$i's control messages delivered again" replay_drained "$i" ||
    fail "node-$i did not take its control messages again"
  demo_wait_for 10 "node-$i" "node-$i's payouts" replay_node_has_all "$i" ||
    fail "node-$i holds $(node_payouts_applied "node-$i") of $(central_payouts_for "node-$i") payouts after its restart"
}

# Before the draw: the witness's directory is moved aside, so central
# cannot get the reveal and every draw waits at `reconciled` (it retries
# each second) until replay_release_draw. This is how the demo makes sure
# node I is frozen before any payout for it exists.
replay_hold_draw() {
  mv "$data/witness-1" "$data/witness-1.held" || fail "cannot hold the witness"
}

# Freezes node I (SIGSTOP) and lets the draw go on.
replay_release_draw() {
  local i=$1
  kill -STOP "$(demo_pid "node-$i")" || fail "cannot freeze node-$i"
  mv "$data/witness-1.held" "$data/witness-1" || fail "cannot release the witness"
  step "node-$i frozen (SIGSTOP) before any payout; witness released: central draws, settles and pays"
}

# Node I, frozen with none of its payouts applied, goes on (SIGCONT) and is
# killed with SIGKILL as soon as its first payout batch is committed (with
# the rest, if any, still to apply); it is started again with its consumer
# rewound, so every control message comes again, those it applied and
# those it did not.
replay_kill_during_payouts() {
  local i=$1 pid n=0 deadline want
  pid=$(demo_pid "node-$i")
  want=$(central_payouts_for "node-$i")
  n=$(node_payouts_applied "node-$i")
  [ "$n" = 0 ] || fail "node-$i applied $n payouts while frozen"
  deadline=$((SECONDS + 30))
  kill -CONT "$pid"
  # (a node that won nothing has nothing to be killed during: killed at once)
  while [ "$want" -gt 0 ] && n=$(node_payouts_applied "node-$i") && [ "$n" = 0 ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "node-$i applied no payout within 30s after SIGCONT"
    kill -0 "$pid" 2>/dev/null || fail "node-$i exited while applying its payouts"
    sleep 0.005
  done
  kill -KILL "$pid"
  demo_forget "node-$i"
  n=$(node_payouts_applied "node-$i")
  step "node-$i killed (SIGKILL) while applying payouts: $n of $want entries committed"
  replay_kill_applied=$n
  replay_rewind "$i" || fail "cannot rewind node-$i's consumer"
  replay_node_back "$i"
  replay_expect_fresh "$i" $((want - n))
  step "node-$i restarted, its $(replay_delivered "$i") control messages delivered again: $((want - n)) payouts booked as new, $n recognised as booked"
}

# Central "crashes" after publishing: it is stopped, every stored message of
# the draw is marked unpublished, and it starts again: it sends the same
# bytes under the same message ids, which JetStream drops as duplicates.
replay_central_republish() {
  local before after n
  before=$(replay_stream_count) || fail "cannot read the control stream"
  demo_stop_name central
  n=$(sqlite3 "$data/central/central.db" ".timeout 5000" \
        "UPDATE day_messages SET published = 0 WHERE draw = $draw_no; SELECT changes();") ||
    fail "cannot mark central's messages unpublished"
  central_start
  demo_wait_for 30 central "central to publish its messages again" draws_in paid ||
    fail "central did not publish its messages again"
  after=$(replay_stream_count) || fail "cannot read the control stream"
  [ "$after" = "$before" ] ||
    fail "the control stream held $before results and payout batches, $after after central sent them again"
  step "central restarted with its $n messages unpublished and sent them again: the stream still holds $after (duplicates dropped by message id)"
}

# Node I is stopped (SIGTERM), its consumer rewound and it starts again:
# every control message it applied comes again.
replay_redeliver() {
  local i=$1
  demo_stop_name "node-$i"
  replay_rewind "$i" || fail "cannot rewind node-$i's consumer"
  replay_node_back "$i"
  replay_expect_fresh "$i" 0
  step "node-$i restarted with its consumer rewound: $(replay_delivered "$i") control messages delivered again, no payout booked as new"
}

# The replays after the first payouts; fails when any of them changed what a
# node booked. Sets replay_line (for the summary).
replay_check() {
  local i before=() after refused
  replay_kill_during_payouts 3
  for i in 1 2 3; do before+=("$(replay_fingerprint "node-$i")"); done
  replay_central_republish
  replay_redeliver 1
  for i in 1 2 3; do
    refused=$(replay_refused "$i") || fail "node-$i health"
    [ "$refused" = 0 ] || fail "node-$i refused $refused control messages (see $data/logs/node-$i.log)"
    after=$(replay_fingerprint "node-$i")
    [ "$after" = "${before[$((i - 1))]}" ] ||
      fail "a replay changed node-$i's books: before ${before[$((i - 1))]}; after $after"
  done
  replay_line="node-3 killed with $replay_kill_applied of $(central_payouts_for node-3) payouts committed then fully redelivered; central re-sent everything; node-1 redelivered everything: nothing paid twice, every node's books unchanged"
}
