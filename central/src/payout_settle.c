/* drawn -> settled: every live ticket of the included nodes through
 * tsr_settle, refunds for the tickets of excluded nodes (or of a cancelled
 * draw), payout rows with deterministic ids, the report and the jackpot
 * carried to the game's next draw, in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

/* A draw's tickets as settlement needs them. */
typedef struct day_tickets {
    size_t n, cap;
    tsr_settle_ticket *t;     /* settled tickets */
    tsr_settle_prize *prizes; /* their prizes */
    uint8_t (*id)[TSR_TICKET_ID_LEN];
    uint16_t *node;           /* index into names */
    size_t nr;                /* refunds */
    struct refund { uint8_t id[TSR_TICKET_ID_LEN]; uint16_t node; uint8_t channel; int64_t stake; } *r;
    char (*names)[TSR_NAME_MAX];
    size_t n_names;
} day_tickets;

static void tickets_free(day_tickets *k)
{
    free(k->t);
    free(k->prizes);
    free(k->id);
    free(k->node);
    free(k->r);
    free(k->names);
    memset(k, 0, sizeof *k);
}

static tsr_status tickets_grow(day_tickets *k)
{
    size_t cap = k->cap ? k->cap * 2 : 4096;
    if (cap > TSR_DAY_TICKETS_MAX)
        return TSR_ERR_TOO_LARGE;
    void *t = realloc(k->t, cap * sizeof *k->t), *id = t ? realloc(k->id, cap * sizeof *k->id) : NULL;
    if (t)
        k->t = t;
    if (id)
        k->id = id;
    void *node = id ? realloc(k->node, cap * sizeof *k->node) : NULL;
    if (node)
        k->node = node;
    void *r = node ? realloc(k->r, cap * sizeof *k->r) : NULL;
    if (!r)
        return TSR_ERR_NOMEM;
    k->r = r;
    k->cap = cap;
    return TSR_OK;
}

/* The index of a node name, added when new; -1 past the node limit. */
static int node_index(day_tickets *k, const char *name)
{
    for (size_t i = 0; i < k->n_names; i++)
        if (strcmp(k->names[i], name) == 0)
            return (int)i;
    if (k->n_names == TSR_CENTRAL_NODES_MAX)
        return -1;
    snprintf(k->names[k->n_names], TSR_NAME_MAX, "%s", name);
    return (int)k->n_names++;
}

/* One stored ticket into the settled or the refunded list. */
static tsr_status add_ticket(day_tickets *k, const void *bytes, size_t len, bool refund,
                             const char *node)
{
    tsr_ticket t;
    tsr_status st = tsr_ticket_decode(bytes, len, &t);
    if (st != TSR_OK)
        return st;
    if ((k->n >= k->cap || k->nr >= k->cap) && (st = tickets_grow(k)) != TSR_OK)
        return st;
    int ni = node_index(k, node);
    if (ni < 0)
        return TSR_ERR_TOO_LARGE;
    if (refund) {
        struct refund *r = &k->r[k->nr++];
        memcpy(r->id, t.id, sizeof r->id);
        r->node = (uint16_t)ni;
        r->channel = t.channel;
        r->stake = t.stake_cents;
        return TSR_OK;
    }
    tsr_settle_ticket *s = &k->t[k->n];
    s->ticket_id = k->n;
    s->stake_cents = t.stake_cents;
    if ((st = tsr_bet_decode(t.bet, t.bet_len, &s->bet)) != TSR_OK)
        return st;
    memcpy(k->id[k->n], t.id, TSR_TICKET_ID_LEN);
    k->node[k->n++] = (uint16_t)ni;
    return TSR_OK;
}

/* Every live ticket of the draw; an excluded node's (or every one, for a
 * cancelled draw) goes to refunds. */
static tsr_status load_tickets(tsr_day *d, const day_row *r, day_tickets *k)
{
    static const char *const sql =
        "SELECT n.node, e.bytes, x.node_id IS NOT NULL FROM entries e JOIN nodes n USING(node_id)"
        " LEFT JOIN exclusions x ON x.node_id=e.node_id AND x.game=e.game AND x.draw=e.draw"
        " WHERE e.kind=1 AND e.conflict=0 AND e.cancelled=0 AND e.game=? AND e.draw=?";
    if (!(k->names = calloc(TSR_CENTRAL_NODES_MAX, TSR_NAME_MAX)))
        return TSR_ERR_NOMEM;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    int rc = SQLITE_DONE;
    while (s == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        s = add_ticket(k, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                       r->cancelled || sqlite3_column_int(st, 2),
                       (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (s == TSR_OK && rc != SQLITE_DONE)
        s = cdb_rc(rc);
    return s;
}

/* The previous settled (or cancelled) draw's jackpot carry, and whether an
 * earlier draw of the game is still unsettled (settle in order: the carry
 * depends on it). */
static tsr_status carry_in(tsr_day *d, const day_row *r, int64_t *carry, bool *blocked)
{
    static const char *const prev =
        "SELECT jackpot_next_cents FROM day_draws WHERE game=? AND draw<? AND state>=?"
        " ORDER BY draw DESC LIMIT 1";
    static const char *const open = "SELECT count(*) FROM day_draws WHERE game=? AND draw<?"
                                    " AND state BETWEEN ? AND ?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, prev, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    sqlite3_bind_int(st, 3, TSR_DAY_SETTLED);
    *carry = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if ((s = cdb_stmt(&d->db, open, &st)) != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    sqlite3_bind_int(st, 3, TSR_DAY_OPEN);
    sqlite3_bind_int(st, 4, TSR_DAY_DRAWN);
    *blocked = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    sqlite3_reset(st);
    return TSR_OK;
}

static tsr_status put_payout(tsr_day *d, const day_row *r, const char *node,
                             const tsr_payout_entry *p)
{
    static const char *const sql =
        "INSERT OR IGNORE INTO day_payouts(payout_id,game,draw,node,ticket_id,kind,tier,klass,"
        "reportable,amount_cents,withheld_cents) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, p->payout_id, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->draw);
    sqlite3_bind_text(st, 4, node, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, p->ticket_id, TSR_TICKET_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, p->kind);
    sqlite3_bind_int(st, 7, p->tier);
    sqlite3_bind_int(st, 8, p->klass);
    sqlite3_bind_int(st, 9, p->reportable);
    sqlite3_bind_int64(st, 10, p->amount_cents);
    sqlite3_bind_int64(st, 11, p->withheld_cents);
    return cdb_step_done(st);
}

/* Payout rows for the winners and the refunds; sums into *won / *refunded. */
static tsr_status put_payouts(tsr_day *d, const day_row *r, const day_tickets *k,
                              int64_t *refunded)
{
    tsr_status st = TSR_OK;
    for (size_t i = 0; st == TSR_OK && i < k->n; i++) {
        const tsr_settle_prize *p = &k->prizes[i];
        if (p->amount_cents <= 0)
            continue;
        tsr_payout_entry e = {.kind = TSR_PAYOUT_KIND_WIN, .tier = (uint8_t)p->tier,
                              .klass = p->klass, .reportable = p->reportable,
                              .amount_cents = p->amount_cents, .withheld_cents = p->withheld_cents};
        memcpy(e.ticket_id, k->id[i], TSR_TICKET_ID_LEN);
        st = tsr_payout_id(r->game, r->draw, e.ticket_id, TSR_PAYOUT_KIND_WIN, e.payout_id);
        st = st ? st : put_payout(d, r, k->names[k->node[i]], &e);
    }
    *refunded = 0;
    for (size_t i = 0; st == TSR_OK && i < k->nr; i++) {
        if (k->r[i].stake <= 0)
            continue;
        /* A refund goes back the way the stake came: online to the wallet,
         * retail to the counter of any terminal. */
        tsr_payout_entry e = {.kind = TSR_PAYOUT_KIND_REFUND, .tier = TSR_PAYOUT_TIER_NONE,
                              .klass = k->r[i].channel == TSR_CHANNEL_ONLINE ? TSR_PAYOUT_AUTO
                                                                             : TSR_PAYOUT_TERMINAL,
                              .amount_cents = k->r[i].stake};
        memcpy(e.ticket_id, k->r[i].id, TSR_TICKET_ID_LEN);
        *refunded += e.amount_cents;
        st = tsr_payout_id(r->game, r->draw, e.ticket_id, TSR_PAYOUT_KIND_REFUND, e.payout_id);
        st = st ? st : put_payout(d, r, k->names[k->r[i].node], &e);
    }
    return st;
}

static json_t *report_json(const tsr_settle_report *rep, const day_tickets *k, int64_t refunded)
{
    json_t *tiers = json_array();
    for (unsigned i = 0; tiers && i < rep->n_tiers; i++)
        json_array_append_new(tiers, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "winners",
                                               (json_int_t)rep->tiers[i].winners, "prize_cents",
                                               (json_int_t)rep->tiers[i].prize_cents, "fund_cents",
                                               (json_int_t)rep->tiers[i].fund_cents, "paid_cents",
                                               (json_int_t)rep->tiers[i].paid_cents,
                                               "breakage_cents",
                                               (json_int_t)rep->tiers[i].breakage_cents,
                                               "rolled_cents", (json_int_t)rep->tiers[i].rolled_cents));
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:o}",
                     "tickets", (json_int_t)rep->tickets, "winners", (json_int_t)rep->winners,
                     "sales_cents", (json_int_t)rep->sales_cents, "paid_cents",
                     (json_int_t)rep->paid_cents, "withheld_cents", (json_int_t)rep->withheld_cents,
                     "breakage_cents", (json_int_t)rep->breakage_cents, "to_reserve_cents",
                     (json_int_t)rep->to_reserve_cents, "rollover_cents",
                     (json_int_t)rep->rollover_cents, "jackpot_topup_cents",
                     (json_int_t)rep->jackpot_topup_cents, "cap_reduction_cents",
                     (json_int_t)rep->cap_reduction_cents, "cap_breakage_cents",
                     (json_int_t)rep->cap_breakage_cents, "jackpot_next_cents",
                     (json_int_t)rep->jackpot_next_cents, "cap_hit", rep->cap_hit, "refunds",
                     (json_int_t)k->nr, "refunded_cents", (json_int_t)refunded, "tiers", tiers);
}

/* Runs tsr_settle (not for a cancelled draw). */
static tsr_status run_settle(tsr_day *d, const day_row *r, day_tickets *k,
                             tsr_settle_report *rep, char *why, size_t why_len)
{
    memset(rep, 0, sizeof *rep);
    if (r->cancelled) {
        rep->jackpot_next_cents = r->carry_cents;
        return TSR_OK;
    }
    const tsr_game *g = tsr_catalog_find(d->o.catalog, r->game);
    tsr_draw_result res;
    tsr_draw_record *rec = NULL;
    tsr_status st = g ? TSR_OK : TSR_ERR_GAME_UNKNOWN;
    json_error_t err;
    json_t *j = st == TSR_OK ? json_loads(r->record, 0, &err) : NULL;
    st = st ? st : j ? tsr_draw_record_from_json(j, &rec) : TSR_ERR_JSON;
    json_decref(j);
    st = st ? st : day_result_of(g, &rec->numbers, &res);
    tsr_draw_record_destroy(rec);
    if (st == TSR_OK && !(k->prizes = calloc(k->n ? k->n : 1, sizeof *k->prizes)))
        st = TSR_ERR_NOMEM;
    if (st == TSR_OK) {
        st = tsr_settle(g, tsr_catalog_payout_rules(d->o.catalog), &res, r->carry_cents, k->t,
                        k->n, k->prizes, rep);
        if (st != TSR_OK)
            snprintf(why, why_len, "settlement stopped at ticket %zu: %s", rep->bad_ticket,
                     tsr_status_str(st));
    } else if (!why[0]) {
        snprintf(why, why_len, "the draw's result cannot be read (%s)", tsr_status_name(st));
    }
    return st;
}

static tsr_status store_settled(tsr_day *d, day_row *r, const day_tickets *k,
                                const tsr_settle_report *rep)
{
    int64_t refunded = 0;
    tsr_status st = day_begin(d);
    if (st != TSR_OK)
        return st;
    st = put_payouts(d, r, k, &refunded);
    json_t *rj = st == TSR_OK ? report_json(rep, k, refunded) : NULL;
    free(r->report); /* a re-run after a crash replaces the earlier (equal) report */
    r->report = NULL;
    if (st == TSR_OK && (!rj || !(r->report = json_dumps(rj, JSON_COMPACT | JSON_SORT_KEYS))))
        st = TSR_ERR_NOMEM;
    json_decref(rj);
    r->jackpot_next_cents = rep->jackpot_next_cents;
    r->state = TSR_DAY_SETTLED;
    st = st ? st : day_row_save(d, r);
    st = st ? st : day_audit(d, "settled", r->game, r->draw,
                             json_pack("{s:I,s:I,s:I,s:I,s:I}", "tickets", (json_int_t)k->n,
                                       "winners", (json_int_t)rep->winners, "paid_cents",
                                       (json_int_t)rep->paid_cents, "refunded_cents",
                                       (json_int_t)refunded, "jackpot_next_cents",
                                       (json_int_t)rep->jackpot_next_cents));
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

tsr_status day_do_settle(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    bool blocked = false;
    tsr_status st = carry_in(d, r, &r->carry_cents, &blocked);
    if (st == TSR_OK && blocked) {
        snprintf(why, why_len, "an earlier draw of %s is not settled yet: its jackpot carry "
                 "decides this one's", r->game);
        return TSR_ERR_DAY_WAITING;
    }
    day_tickets k;
    memset(&k, 0, sizeof k);
    tsr_settle_report rep;
    st = st ? st : load_tickets(d, r, &k);
    if (st != TSR_OK && !why[0])
        snprintf(why, why_len, "the draw's tickets cannot be read (%s)", tsr_status_name(st));
    st = st ? st : run_settle(d, r, &k, &rep, why, why_len);
    st = st ? st : store_settled(d, r, &k, &rep);
    tickets_free(&k);
    return st;
}
