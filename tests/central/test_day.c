/* A whole draw day in one process: a real nats-server, central, three
 * nodes' signed batches and seals, one in-process witness, and the
 * lifecycle (tsr_day) driving three games of three families (digits, keno,
 * two-pool with multiplier) from open to paid. Checks: every record
 * verifies, every winning ticket has exactly one payout, payouts add up to
 * the settlement report, an excluded node's tickets are refunded once, a
 * witness that refuses stops the draw with its reason, and re-running
 * steps after a central restart publishes the same bytes and pays nothing
 * twice. Tickets come from a seeded RNG (seed printed); the draw seed is
 * the real CSPRNG by design, so the checks hold for any numbers. */
#include <stdlib.h>

#include "stream_fixture.h"
#include "tessera/catalog.h"
#include "tessera/day.h"
#include "tessera/game.h"
#include "tessera/results.h"
#include "tessera/subjects.h"

#define TICKET_SEED 20240611u
#define GAMES 3
#define PER_NODE_MAX 2400

static const char *const games[GAMES] = {"pick3", "keno", "powerball"};

typedef struct sold {
    tsr_ticket t[PER_NODE_MAX + 1]; /* t[seq], seq 1..n */
    uint64_t n;
} sold;

typedef struct day_fx {
    fx f;
    tsr_catalog *cat;
    tsr_rng *real, *seeded;
    tsr_clock *wclock;
    tsr_witness *w;
    tsr_witness *wlist[1];
    tsr_day_witness_set wset;
    tsr_env env;
    tsr_day *day;
    uint32_t draw[GAMES];
    int64_t cutoff_max;
} day_fx;

static sold nodes_sold[3];

static void day_open(day_fx *x, bool manual)
{
    tsr_day_opts o = {.db_path = x->f.db, .central = x->f.central, .catalog = x->cat,
                      .authority_key = &x->f.beacon_kp, .central_key = &x->f.central_kp,
                      .node_keys = x->f.node_keys, .out_dir = x->f.dir, .games = games,
                      .n_games = GAMES, .manual = manual, .env = &x->env};
    tsr_day_witnesses(&o.witnesses, &x->wset);
    ck_assert_int_eq(tsr_day_open(&x->day, &o), TSR_OK);
}

static void setup(day_fx *x)
{
    memset(x, 0, sizeof *x);
    fx_start(&x->f, 3);
    char path[512], err[256] = "", wdir[400];
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    ck_assert_msg(tsr_catalog_load_file(&x->cat, path, err, sizeof err) == TSR_OK, "%s", err);
    ck_assert_int_eq(tsr_rng_real_create(&x->real), TSR_OK);
    printf("test_day: ticket seed %u\n", TICKET_SEED);
    ck_assert_int_eq(tsr_rng_seeded_create(&x->seeded, TICKET_SEED), TSR_OK);
    /* The witness has its own clock, so a test can hold it before cutoff. */
    ck_assert_int_eq(tsr_clock_test_create(&x->wclock, FX_T0), TSR_OK);
    snprintf(wdir, sizeof wdir, "%s/witness", x->f.dir);
    ck_assert_int_eq(tsr_witness_init(wdir, x->f.beacon_kp.pk, x->seeded, true), TSR_OK);
    ck_assert_int_eq(tsr_witness_open(&x->w, wdir, x->seeded, x->wclock, true), TSR_OK);
    x->wlist[0] = x->w;
    x->wset = (tsr_day_witness_set){.inproc = x->wlist, .n = 1};
    x->env = (tsr_env){.clock = x->f.clock, .rng = x->real};
    day_open(x, false);
}

static void teardown(day_fx *x)
{
    tsr_day_close(x->day);
    tsr_witness_close(x->w);
    tsr_clock_destroy(x->wclock);
    tsr_rng_destroy(x->seeded);
    tsr_rng_destroy(x->real);
    tsr_catalog_free(x->cat);
    fx_stop(&x->f);
}

/* One ticket of `game` on node i: bet already prepared. */
static void add_ticket(day_fx *x, int i, int gi, tsr_bet *bet)
{
    sold *s = &nodes_sold[i];
    tsr_cents per_draw;
    char why[128];
    ck_assert_msg(tsr_bet_prepare(x->cat, games[gi], bet, &per_draw, NULL, why, sizeof why) ==
                  TSR_OK, "%s", why);
    ck_assert_uint_lt(s->n, PER_NODE_MAX);
    tsr_ticket *t = &s->t[++s->n];
    memset(t, 0, sizeof *t);
    tsr_rng_bytes(x->seeded, t->id, sizeof t->id);
    snprintf(t->node, sizeof t->node, "%s", x->f.names[i]);
    t->seq = s->n;
    snprintf(t->game, sizeof t->game, "%s", games[gi]);
    t->draw = x->draw[gi];
    t->channel = (s->n % 3) ? TSR_CHANNEL_ONLINE : TSR_CHANNEL_RETAIL;
    size_t len;
    ck_assert_int_eq(tsr_bet_encode(bet, t->bet, sizeof t->bet, &len), TSR_OK);
    t->bet_len = (uint16_t)len;
    t->stake_cents = per_draw;
    t->accepted_at_ns = tsr_clock_now_ns(x->f.clock);
    snprintf(t->serial, sizeof t->serial, "S%llu", (unsigned long long)s->n);
    t->check = (uint32_t)s->n;
}

/* Node 1 covers every pick-3 straight at $2 (so exactly one $1000 win, a
 * claim-centre prize); every node sells quick picks of each game. */
static void sell(day_fx *x)
{
    for (int d = 0; d < 1000; d++) {
        tsr_bet b = {.type = TSR_BET_STRAIGHT, .count = 3, .numbers = {d / 100, d / 10 % 10, d % 10},
                     .stake_cents = 200, .draws = 1};
        add_ticket(x, 0, 0, &b);
    }
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 300; k++) {
            int gi = k % GAMES;
            tsr_bet b = {.stake_cents = 0, .draws = 1};
            b.type = gi == 0 ? (k % 2 ? TSR_BET_BOX : TSR_BET_STRAIGHT)
                     : gi == 1 ? TSR_BET_SPOT : TSR_BET_STANDARD;
            b.count = gi == 1 ? (uint8_t)(1 + k % 10) : 0;
            if (gi == 2 && k % 4 == 0)
                b.addons = TSR_ADDON_MULTIPLIER;
            ck_assert_int_eq(tsr_bet_quick_pick(x->cat, games[gi], x->seeded, &b), TSR_OK);
            if (gi == 0 && b.type == TSR_BET_BOX && tsr_digits_ways(b.numbers, 3) == 1)
                b.type = TSR_BET_STRAIGHT;
            add_ticket(x, i, gi, &b);
        }
}

static uint8_t batch_buf[TSR_BATCH_MAX_BYTES];

static void publish_tickets(day_fx *x)
{
    uint64_t total = 0;
    for (int i = 0; i < 3; i++) {
        sold *s = &nodes_sold[i];
        for (uint64_t first = 1; first <= s->n; first += TSR_BATCH_MAX_ENTRIES) {
            uint64_t n = s->n - first + 1 < TSR_BATCH_MAX_ENTRIES ? s->n - first + 1
                                                                  : TSR_BATCH_MAX_ENTRIES;
            size_t len = fx_batch(&x->f.node_kp[i], x->f.names[i], &s->t[first], n, batch_buf,
                                  sizeof batch_buf);
            char id[TSR_SUBJECT_MAX];
            ck_assert_int_eq(tsr_batch_msg_id(x->f.names[i], first, first + n - 1, id, sizeof id),
                             TSR_OK);
            fx_publish(&x->f, x->f.names[i], batch_buf, len, id);
        }
        total += s->n;
    }
    for (int k = 0; k < 300 && (uint64_t)fx_query(x->f.db, "SELECT count(*) FROM entries") < total;
         k++)
        fx_steps(&x->f, 1);
    ck_assert_int_eq(fx_query(x->f.db, "SELECT count(*) FROM entries"), (int64_t)total);
}

/* Node i's seal of game gi (its tickets of that draw, in seq order). */
static void publish_seal(day_fx *x, int i, int gi)
{
    sold *s = &nodes_sold[i];
    tsr_seal seal = {.draw = x->draw[gi], .sealed_at_ns = x->cutoff_max};
    snprintf(seal.node, sizeof seal.node, "%s", x->f.names[i]);
    snprintf(seal.game, sizeof seal.game, "%s", games[gi]);
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    for (uint64_t q = 1; q <= s->n; q++) {
        if (strcmp(s->t[q].game, games[gi]) != 0)
            continue;
        uint8_t leaf[TSR_HASH_LEN];
        ck_assert_int_eq(tsr_ticket_leaf(&s->t[q], leaf), TSR_OK);
        tsr_merkle_acc_add(&acc, leaf);
        if (!seal.count++)
            seal.first_seq = q;
        seal.last_seq = q;
        seal.stake_total_cents += s->t[q].stake_cents;
    }
    tsr_merkle_acc_root(&acc, seal.merkle_root);
    uint8_t buf[256];
    size_t len;
    ck_assert_int_eq(tsr_seal_sign(&seal, &x->f.node_kp[i], buf, sizeof buf, &len), TSR_OK);
    char subject[TSR_SUBJECT_MAX], id[TSR_SUBJECT_MAX];
    ck_assert_int_eq(tsr_subject_node(TSR_SUBJ_SEALS, x->f.names[i], subject, sizeof subject),
                     TSR_OK);
    snprintf(id, sizeof id, "seal:%s:%s:%u", x->f.names[i], games[gi], x->draw[gi]);
    ck_assert_int_eq(tsr_js_publish(x->f.js, subject, id, buf, len, NULL), TSR_OK);
}

static json_t *status_of(day_fx *x, int gi)
{
    json_t *j;
    ck_assert_int_eq(tsr_day_status_json(x->f.db, games[gi], x->draw[gi], &j), TSR_OK);
    json_t *d = json_incref(json_array_get(json_object_get(j, "draws"), 0));
    json_decref(j);
    ck_assert_ptr_nonnull(d);
    return d;
}

static bool state_is(day_fx *x, int gi, const char *state)
{
    json_t *d = status_of(x, gi);
    bool yes = strcmp(json_string_value(json_object_get(d, "state")), state) == 0;
    json_decref(d);
    return yes;
}

static void pump_until_paid(day_fx *x, int max)
{
    for (int k = 0; k < max; k++) {
        fx_steps(&x->f, 1);
        ck_assert_int_eq(tsr_day_step(x->day), TSR_OK);
        bool all = true;
        for (int gi = 0; gi < GAMES; gi++)
            all = all && state_is(x, gi, "paid");
        if (all)
            return;
    }
    ck_abort_msg("draws did not reach paid");
}

/* ---- checks over what central published ----------------------------------- */

typedef struct seen {
    uint8_t id[8192][TSR_HASH_LEN];
    size_t n;
} seen;

static seen ids_seen;

static void seen_add(const uint8_t id[TSR_HASH_LEN])
{
    for (size_t i = 0; i < ids_seen.n; i++)
        ck_assert_msg(memcmp(ids_seen.id[i], id, TSR_HASH_LEN) != 0, "payout id twice");
    ck_assert_uint_lt(ids_seen.n, 8192);
    memcpy(ids_seen.id[ids_seen.n++], id, TSR_HASH_LEN);
}

/* A ticket of node i with this id, or NULL. */
static const tsr_ticket *find_ticket(int i, const uint8_t id[16])
{
    for (uint64_t q = 1; q <= nodes_sold[i].n; q++)
        if (memcmp(nodes_sold[i].t[q].id, id, 16) == 0)
            return &nodes_sold[i].t[q];
    return NULL;
}

typedef struct draw_sums {
    int64_t won, withheld, refunded;
    uint64_t wins, refunds, claim_centre;
    tsr_result *result;
} draw_sums;

static void check_batch(day_fx *x, int gi, const void *bytes, size_t len, draw_sums *s)
{
    tsr_payout_batch *b;
    ck_assert_int_eq(tsr_payout_batch_open(x->f.central_kp.pk, bytes, len, &b), TSR_OK);
    int ni = b->node[1] - '1';
    ck_assert(strcmp(b->game, games[gi]) == 0 && b->draw == x->draw[gi]);
    for (uint32_t k = 0; k < b->n; k++) {
        const tsr_payout_entry *e = &b->entries[k];
        seen_add(e->payout_id);
        const tsr_ticket *t = find_ticket(ni, e->ticket_id);
        ck_assert_msg(t && strcmp(t->game, games[gi]) == 0, "payout for a ticket not sold");
        if (e->kind == TSR_PAYOUT_KIND_REFUND) {
            ck_assert_int_eq(e->amount_cents, t->stake_cents);
            s->refunds++;
            s->refunded += e->amount_cents;
        } else {
            s->wins++;
            s->won += e->amount_cents;
            s->withheld += e->withheld_cents;
            s->claim_centre += e->klass == TSR_PAYOUT_CLAIM_CENTRE;
        }
    }
    tsr_payout_batch_destroy(b);
}

/* Opens every stored message of the draw; sums its payouts. */
static void check_messages(day_fx *x, int gi, draw_sums *s)
{
    memset(s, 0, sizeof *s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(x->f.db, &db), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT kind, bytes, published FROM day_messages"
                                            " WHERE game=? AND draw=? AND kind IN (4,5)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, games[gi], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, x->draw[gi]);
    while (sqlite3_step(st) == SQLITE_ROW) {
        ck_assert_int_eq(sqlite3_column_int(st, 2), 1);
        const void *b = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        if (sqlite3_column_int(st, 0) == TSR_CTL_RESULT) {
            ck_assert_ptr_null(s->result);
            ck_assert_int_eq(tsr_result_open(x->f.central_kp.pk, b, len, &s->result), TSR_OK);
        } else {
            check_batch(x, gi, b, len, s);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_ptr_nonnull(s->result);
}

static void check_draw(day_fx *x, int gi, uint64_t want_refunds, int64_t want_refunded)
{
    char path[600], why[TSR_DRAW_WHY_MAX] = "";
    snprintf(path, sizeof path, "%s/record-%s-%u.json", x->f.dir, games[gi], x->draw[gi]);
    tsr_draw_record *rec;
    ck_assert_int_eq(tsr_draw_record_read_file(path, &rec, why, sizeof why), TSR_OK);
    ck_assert_msg(tsr_draw_record_verify(rec, x->f.beacon_kp.pk, why, sizeof why) == TSR_OK, "%s",
                  why);
    ck_assert_uint_eq(rec->witness_count, 1);
    tsr_draw_record_destroy(rec);
    draw_sums s;
    check_messages(x, gi, &s);
    ck_assert_msg(tsr_result_check_record(s.result, x->f.beacon_kp.pk, NULL, why, sizeof why) ==
                  TSR_OK, "%s", why);
    json_t *d = status_of(x, gi);
    json_t *rep = json_object_get(d, "report");
    ck_assert_int_eq(s.won, json_integer_value(json_object_get(rep, "paid_cents")));
    ck_assert_int_eq(s.won, s.result->paid_cents);
    ck_assert_int_eq(s.withheld, json_integer_value(json_object_get(rep, "withheld_cents")));
    ck_assert_int_eq((int64_t)s.wins, json_integer_value(json_object_get(rep, "winners")));
    ck_assert_uint_eq(s.refunds, want_refunds);
    ck_assert_int_eq(s.refunded, want_refunded);
    ck_assert_int_eq(s.result->refunded_cents, want_refunded);
    if (gi == 0) /* the covered pick-3 straights: exactly one $1000 claim-centre win */
        ck_assert_uint_ge(s.claim_centre, 1);
    printf("test_day: %s draw %u: %llu wins %lld cents, %llu refunds %lld cents\n", games[gi],
           x->draw[gi], (unsigned long long)s.wins, (long long)s.won,
           (unsigned long long)s.refunds, (long long)s.refunded);
    json_decref(d);
    tsr_result_destroy(s.result);
}

static uint64_t ctl_msgs(day_fx *x)
{
    uint64_t n = 0;
    ck_assert_int_eq(tsr_js_stream_msgs(x->f.js, TSR_STREAM_CTL, &n), TSR_OK);
    return n;
}

/* Stakes of node 3's keno tickets: what its exclusion must refund. */
static void n3_keno(uint64_t *count, int64_t *stake)
{
    *count = 0;
    *stake = 0;
    for (uint64_t q = 1; q <= nodes_sold[2].n; q++)
        if (strcmp(nodes_sold[2].t[q].game, "keno") == 0) {
            (*count)++;
            *stake += nodes_sold[2].t[q].stake_cents;
        }
}

static void open_and_sell(day_fx *x)
{
    ids_seen.n = 0;
    memset(nodes_sold, 0, sizeof nodes_sold);
    ck_assert_int_eq(tsr_day_step(x->day), TSR_OK);
    for (int gi = 0; gi < GAMES; gi++) {
        int64_t no, cut;
        ck_assert_int_eq(tsr_catalog_next_draw(x->cat, games[gi], FX_T0, &no, NULL, &cut, NULL),
                         TSR_OK);
        x->draw[gi] = (uint32_t)no;
        x->cutoff_max = cut > x->cutoff_max ? cut : x->cutoff_max;
        /* Opening by hand is a no-op when the schedule already opened it. */
        ck_assert_int_eq(tsr_day_advance(x->day, games[gi], x->draw[gi], TSR_DAY_OPEN, NULL, 0),
                         TSR_OK);
        ck_assert(state_is(x, gi, "open"));
    }
    ck_assert_uint_eq(ctl_msgs(x), 3 * 3); /* a token per game for each node */
    sell(x);
    publish_tickets(x);
}

static bool waiting_has(day_fx *x, int gi, const char *text)
{
    json_t *d = status_of(x, gi);
    const char *w = json_string_value(json_object_get(d, "waiting"));
    bool yes = w && strstr(w, text);
    if (!yes)
        printf("waiting: %s\n", w ? w : "(null)");
    json_decref(d);
    return yes;
}

static void claim_checks(day_fx *x)
{
    uint8_t cc[TSR_HASH_LEN], other[TSR_HASH_LEN], none[TSR_HASH_LEN] = {0};
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open(x->f.db, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT payout_id FROM day_payouts WHERE klass=3 LIMIT 1",
                                        -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    memcpy(cc, sqlite3_column_blob(st, 0), TSR_HASH_LEN);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT payout_id FROM day_payouts WHERE klass!=3 LIMIT 1",
                                        -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    memcpy(other, sqlite3_column_blob(st, 0), TSR_HASH_LEN);
    sqlite3_finalize(st);
    sqlite3_close(db);
    int64_t now = tsr_clock_now_ns(x->f.clock);
    ck_assert_int_eq(tsr_day_claim(x->f.db, cc, "", "clerk-1", now), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_day_claim(x->f.db, none, "passport X1", "clerk-1", now), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_day_claim(x->f.db, other, "passport X1", "clerk-1", now),
                     TSR_ERR_CLAIM_CLASS);
    ck_assert_int_eq(tsr_day_claim(x->f.db, cc, "passport X1", "clerk-1", now), TSR_OK);
    ck_assert_int_eq(tsr_day_claim(x->f.db, cc, "passport X2", "clerk-2", now), TSR_ERR_CLAIM_DONE);
    ck_assert_int_eq(fx_query(x->f.db, "SELECT count(*) FROM claims"), 1);
    ck_assert_int_eq(fx_query(x->f.db, "SELECT count(*) FROM audit WHERE event='day_claim_paid'"),
                     1);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.db", x->f.dir);
    ck_assert_int_eq(tsr_day_claim(missing, cc, "passport X1", "clerk-1", now), TSR_ERR_NOT_FOUND);
}

/* Every stored message's bytes, to compare after re-running steps. */
static char *messages_digest(day_fx *x)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open(x->f.db, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT kind,node,id,bytes FROM day_messages ORDER BY"
                                            " kind,node,id", -1, &st, NULL), SQLITE_OK);
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 1; c <= 2; c++)
            tsr_hash256_update(&h, sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c) + 1);
        tsr_hash256_update(&h, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    uint8_t out[TSR_HASH_LEN];
    tsr_hash256_final(&h, out);
    char *hex = malloc(TSR_HASH_HEX_SIZE + 16);
    snprintf(hex, 16, "%d:", n);
    tsr_hex_encode(hex + strlen(hex), TSR_HASH_HEX_SIZE, out, sizeof out);
    return hex;
}

static void exec_sql(day_fx *x, const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(x->f.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* Central "crashes": keno is put back before its settlement and every
 * message is marked unpublished; the restarted central re-runs settle and
 * payout and re-publishes. Same payout ids, same bytes, no new message in
 * the stream (JetStream drops the repeated Msg-Ids). */
static void restart_and_rerun(day_fx *x)
{
    char *before = messages_digest(x);
    int64_t payouts = fx_query(x->f.db, "SELECT count(*) FROM day_payouts");
    int64_t paid = fx_query(x->f.db, "SELECT sum(amount_cents) FROM day_payouts");
    uint64_t msgs = ctl_msgs(x);
    tsr_day_close(x->day);
    tsr_central_close(x->f.central);
    exec_sql(x, "UPDATE day_messages SET published=0;"
                "DELETE FROM day_messages WHERE game='keno' AND kind IN (4,5);"
                "UPDATE day_draws SET state=4 WHERE game='keno'");
    fx_central_open(&x->f, 3);
    day_open(x, false);
    pump_until_paid(x, 50);
    char *after = messages_digest(x);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(fx_query(x->f.db, "SELECT count(*) FROM day_payouts"), payouts);
    ck_assert_int_eq(fx_query(x->f.db, "SELECT sum(amount_cents) FROM day_payouts"), paid);
    ck_assert_uint_eq(ctl_msgs(x), msgs);
    free(before);
    free(after);
}

START_TEST(a_full_day_from_open_to_paid)
{
    day_fx x;
    setup(&x);
    open_and_sell(&x);
    /* Past every cutoff: closed, then waiting for the seals. */
    ck_assert_int_eq(tsr_clock_test_set(x.f.clock, x.cutoff_max + TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(tsr_day_step(x.day), TSR_OK);
    ck_assert(state_is(&x, 0, "closed"));
    ck_assert(waiting_has(&x, 0, "not reconciled"));
    /* Node 3 lost its keno seal: the operator excludes it for that draw. */
    ck_assert_int_eq(tsr_central_exclude(x.f.db, "n3", "keno", x.draw[1], "op-ana",
                                         "node 3 seal lost", tsr_clock_now_ns(x.f.clock)), TSR_OK);
    for (int i = 0; i < 3; i++)
        for (int gi = 0; gi < GAMES; gi++)
            if (!(i == 2 && gi == 1))
                publish_seal(&x, i, gi);
    /* Reconciled, but the witness's clock is still before the cutoff. */
    for (int k = 0; k < 100 && !state_is(&x, 0, "reconciled"); k++) {
        fx_steps(&x.f, 1);
        ck_assert_int_eq(tsr_day_step(x.day), TSR_OK);
    }
    ck_assert(state_is(&x, 0, "reconciled"));
    char why[TSR_DAY_WHY_MAX];
    ck_assert_int_eq(tsr_day_advance(x.day, "pick3", x.draw[0], TSR_DAY_PAID, why, sizeof why),
                     TSR_ERR_WITNESS_TOO_EARLY);
    ck_assert_msg(strstr(why, "witness 0 refused to reveal"), "%s", why);
    ck_assert(waiting_has(&x, 0, "witness 0 refused to reveal"));
    /* The manifest is kept: the witness reveals against that one later. */
    ck_assert_int_eq(tsr_clock_test_set(x.wclock, x.cutoff_max + TSR_NS_PER_S), TSR_OK);
    pump_until_paid(&x, 50);
    uint64_t n3_count;
    int64_t n3_stake;
    n3_keno(&n3_count, &n3_stake);
    ck_assert_uint_gt(n3_count, 0);
    check_draw(&x, 0, 0, 0);
    check_draw(&x, 1, n3_count, n3_stake);
    check_draw(&x, 2, 0, 0);
    claim_checks(&x);
    restart_and_rerun(&x);
    /* Every transition left an audit row. */
    ck_assert_int_ge(fx_query(x.f.db, "SELECT count(*) FROM audit WHERE event LIKE 'day_%'"), 18);
    teardown(&x);
}
END_TEST

/* A cancelled draw: no numbers, every stake central holds refunded exactly
 * once, a CANCELLED result; plus the refusals of the lifecycle API. */
START_TEST(a_cancelled_draw_refunds_every_stake_once)
{
    day_fx x;
    setup(&x);
    tsr_day_close(x.day);
    day_open(&x, true); /* manual: the operator runs each step */
    open_and_sell(&x);  /* step() still schedules; opening is by hand */
    char why[TSR_DAY_WHY_MAX];
    ck_assert_int_eq(tsr_day_advance(x.day, "keno", x.draw[1], TSR_DAY_CLOSED, why, sizeof why),
                     TSR_ERR_DAY_WAITING);
    ck_assert_msg(strstr(why, "cutoff"), "%s", why);
    ck_assert_int_eq(tsr_day_advance(x.day, "nosuchgame", 1, TSR_DAY_PAID, why, sizeof why),
                     TSR_ERR_GAME_UNKNOWN);
    ck_assert_int_eq(tsr_day_advance(x.day, "keno", 1, TSR_DAY_PAID, why, sizeof why),
                     TSR_ERR_DAY_NO_DRAW);
    ck_assert_int_eq(tsr_day_cancel(x.day, "keno", x.draw[1], "", "why"), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_day_cancel(x.day, "keno", x.draw[1], "op-ana", "machine fault"), TSR_OK);
    ck_assert_int_eq(tsr_day_cancel(x.day, "keno", x.draw[1], "op-ana", "again"),
                     TSR_ERR_DAY_STATE);
    ck_assert_int_eq(tsr_clock_test_set(x.f.clock, x.cutoff_max + TSR_NS_PER_S), TSR_OK);
    for (int i = 0; i < 3; i++)
        publish_seal(&x, i, 1);
    tsr_status st = TSR_ERR_DAY_WAITING;
    for (int k = 0; k < 100 && st == TSR_ERR_DAY_WAITING; k++) {
        fx_steps(&x.f, 1);
        st = tsr_day_advance(x.day, "keno", x.draw[1], TSR_DAY_PAID, why, sizeof why);
    }
    ck_assert_msg(st == TSR_OK, "%s: %s", tsr_status_name(st), why);
    draw_sums s;
    check_messages(&x, 1, &s);
    uint64_t count = 0;
    int64_t stake = 0;
    for (int i = 0; i < 3; i++)
        for (uint64_t q = 1; q <= nodes_sold[i].n; q++)
            if (strcmp(nodes_sold[i].t[q].game, "keno") == 0) {
                count++;
                stake += nodes_sold[i].t[q].stake_cents;
            }
    ck_assert_uint_eq(s.refunds, count);
    ck_assert_int_eq(s.refunded, stake);
    ck_assert_uint_eq(s.wins, 0);
    ck_assert_int_eq(s.result->state, TSR_RESULT_CANCELLED);
    ck_assert_int_eq(tsr_result_check_record(s.result, NULL, NULL, why, sizeof why),
                     TSR_ERR_RESULT_RECORD);
    tsr_result_destroy(s.result);
    ck_assert_int_eq(tsr_day_cancel(x.day, "keno", x.draw[1], "op-ana", "late"), TSR_ERR_DAY_STATE);
    /* Bad options and a missing store. */
    tsr_day *d2;
    tsr_day_opts bad = {0};
    ck_assert_int_eq(tsr_day_open(&d2, &bad), TSR_ERR_ARG);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.db", x.f.dir);
    tsr_day_opts o = {.db_path = missing, .catalog = x.cat, .authority_key = &x.f.beacon_kp,
                      .central_key = &x.f.central_kp, .node_keys = x.f.node_keys,
                      .out_dir = x.f.dir, .env = &x.env};
    ck_assert_int_eq(tsr_day_open(&d2, &o), TSR_ERR_NOT_FOUND);
    json_t *j;
    ck_assert_int_eq(tsr_day_status_json(missing, NULL, 0, &j), TSR_ERR_NOT_FOUND);
    teardown(&x);
}
END_TEST

static Suite *day_suite(void)
{
    Suite *s = suite_create("day");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_full_day_from_open_to_paid);
    tcase_add_test(tc, a_cancelled_draw_refunds_every_stake_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(day_suite()); }
