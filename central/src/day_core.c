/* The lifecycle driver: opening and closing the tsr_day, the schedule, the
 * transitions in order, cancellation and the periodic step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

const char *tsr_day_state_name(tsr_day_state s)
{
    static const char *const names[TSR_DAY_STATE_COUNT] = {
        "scheduled", "open", "closed", "reconciled", "drawn", "settled", "paid"};
    return (unsigned)s < TSR_DAY_STATE_COUNT ? names[s] : NULL;
}

tsr_status tsr_day_open(tsr_day **out, const tsr_day_opts *o)
{
    *out = NULL;
    if (!o || !o->db_path || !o->catalog || !o->authority_key || !o->central_key ||
        !o->node_keys || !o->out_dir || !o->env || !o->env->clock || !o->env->rng ||
        (o->witnesses.count && (!o->witnesses.commit || !o->witnesses.reveal)))
        return TSR_ERR_ARG;
    tsr_day *d = calloc(1, sizeof *d);
    if (!d)
        return TSR_ERR_NOMEM;
    d->o = *o;
    if (!d->o.seal_grace_ms)
        d->o.seal_grace_ms = 5000;
    tsr_status st = cdb_open_existing(&d->db, o->db_path);
    st = st ? st : day_schema(&d->db);
    if (st != TSR_OK) {
        tsr_day_close(d);
        return st;
    }
    *out = d;
    return TSR_OK;
}

void tsr_day_close(tsr_day *d)
{
    if (!d)
        return;
    cdb_close(&d->db);
    free(d);
}

/* closed -> reconciled: every node reconciled or excluded. */
static tsr_status do_reconcile(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    json_t *w = NULL;
    tsr_status st = TSR_OK;
    if (r->token) { /* a draw that never opened has no tickets to wait for */
        st = d->o.central ? tsr_central_draw_add(d->o.central, r->game, r->draw, r->cutoff_at_ns)
                          : tsr_central_draw_add_db(d->o.db_path, r->game, r->draw,
                                                    r->cutoff_at_ns);
        if (st == TSR_OK)
            st = d->o.central ? tsr_central_draw_ready(d->o.central, r->game, r->draw, &w)
                              : tsr_central_draw_ready_db(d->o.db_path, r->game, r->draw,
                                                          day_now(d), d->o.seal_grace_ms, &w);
    }
    if (st != TSR_OK) {
        char *txt = w ? json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        snprintf(why, why_len, "not reconciled: %s: %s", tsr_status_str(st), txt ? txt : "");
        free(txt);
        json_decref(w);
        return st == TSR_ERR_DRAW_NOT_READY || st == TSR_ERR_SEAL_MISMATCH ? TSR_ERR_DAY_WAITING
                                                                          : st;
    }
    json_t *nodes = w ? w : json_object();
    r->state = TSR_DAY_RECONCILED;
    st = day_begin(d);
    st = st ? st : day_row_save(d, r);
    st = st ? st : day_audit(d, "reconciled", r->game, r->draw, json_pack("{s:o}", "nodes", nodes));
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

/* A transition with nothing to compute: save and audit. */
static tsr_status simple_move(tsr_day *d, day_row *r, tsr_day_state to, const char *what)
{
    r->state = to;
    tsr_status st = day_begin(d);
    st = st ? st : day_row_save(d, r);
    st = st ? st : day_audit(d, what, r->game, r->draw, NULL);
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

/* Runs the one transition out of r->state. */
static tsr_status transition(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    switch (r->state) {
    case TSR_DAY_SCHEDULED:
        return day_do_open(d, r, why, why_len);
    case TSR_DAY_OPEN:
        if (day_now(d) < r->cutoff_at_ns) {
            snprintf(why, why_len, "sales are open until the cutoff at %lld ns",
                     (long long)r->cutoff_at_ns);
            return TSR_ERR_DAY_WAITING;
        }
        return simple_move(d, r, TSR_DAY_CLOSED, "closed");
    case TSR_DAY_CLOSED:
        return do_reconcile(d, r, why, why_len);
    case TSR_DAY_RECONCILED:
        if (r->cancelled)
            return simple_move(d, r, TSR_DAY_DRAWN, "draw_skipped_cancelled");
        return day_do_draw(d, r, why, why_len);
    case TSR_DAY_DRAWN:
        return day_do_settle(d, r, why, why_len);
    case TSR_DAY_SETTLED:
        return day_do_payout(d, r, why, why_len);
    default:
        return TSR_ERR_DAY_STATE;
    }
}

tsr_status tsr_day_advance(tsr_day *d, const char *game, uint32_t draw, tsr_day_state target,
                           char *why, size_t why_len)
{
    char scratch[TSR_DAY_WHY_MAX];
    if (!why || !why_len) {
        why = scratch;
        why_len = sizeof scratch;
    }
    why[0] = 0;
    if (!game || !tsr_catalog_find(d->o.catalog, game))
        return TSR_ERR_GAME_UNKNOWN;
    for (;;) {
        day_row r;
        tsr_status st = day_row_load(d, game, draw, &r);
        if (st != TSR_OK)
            return st;
        if (r.state >= target) {
            day_row_free(&r);
            return day_msg_flush(d); /* what the transitions stored goes out now */
        }
        st = transition(d, &r, why, why_len);
        day_row_free(&r);
        if (st != TSR_OK) {
            if (!why[0])
                snprintf(why, why_len, "%s", tsr_status_str(st));
            CENTRAL_BEST_EFFORT(day_set_waiting(d, game, draw, why));
            return st;
        }
    }
}

tsr_status tsr_day_cancel(tsr_day *d, const char *game, uint32_t draw, const char *operator_name,
                          const char *reason)
{
    if (!operator_name || !*operator_name || !reason || !*reason)
        return TSR_ERR_ARG;
    day_row r;
    tsr_status st = day_row_load(d, game, draw, &r);
    if (st != TSR_OK)
        return st;
    if (r.state >= TSR_DAY_DRAWN || r.cancelled) {
        day_row_free(&r);
        return TSR_ERR_DAY_STATE;
    }
    r.cancelled = true;
    st = day_begin(d);
    st = st ? st : day_row_save(d, &r);
    st = st ? st : day_audit(d, "cancelled", game, draw,
                             json_pack("{s:s,s:s}", "operator", operator_name, "reason", reason));
    if (st != TSR_OK)
        day_rollback(d);
    else
        st = day_commit(d);
    day_row_free(&r);
    return st;
}

/* Puts the next draw of every followed game in the schedule. */
static tsr_status schedule(tsr_day *d)
{
    size_t n = d->o.games ? d->o.n_games : tsr_catalog_count(d->o.catalog);
    for (size_t i = 0; i < n; i++) {
        const char *g = d->o.games ? d->o.games[i] : tsr_catalog_game_at(d->o.catalog, i)->id;
        int64_t no, open, cut, res;
        tsr_status st = tsr_catalog_next_draw(d->o.catalog, g, day_now(d), &no, &open, &cut, &res);
        if (st == TSR_OK && (no < 0 || no > UINT32_MAX))
            st = TSR_ERR_RANGE;
        st = st ? st : day_row_schedule(d, g, (uint32_t)no, open, cut, res);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

/* Advances every unfinished draw as far as it goes now; when transitions
 * are run by hand, only publishes what an operator's payout stored. */
static tsr_status drive(tsr_day *d, bool manual)
{
    static const char *const sql =
        "SELECT game, draw, state, sales_open_at_ns FROM day_draws WHERE state<? ORDER BY"
        " cutoff_at_ns LIMIT ?";
    char games[TSR_DAY_DRAWS_MAX][TSR_NAME_MAX];
    uint32_t draws[TSR_DAY_DRAWS_MAX];
    size_t n = 0;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int(st, 1, TSR_DAY_PAID);
    sqlite3_bind_int(st, 2, TSR_DAY_DRAWS_MAX);
    int64_t lead = d->o.open_lead_ms * TSR_NS_PER_MS;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (manual && sqlite3_column_int(st, 2) != TSR_DAY_SETTLED)
            continue;
        /* A scheduled draw opens only when its sales are about to. */
        if (sqlite3_column_int(st, 2) == TSR_DAY_SCHEDULED &&
            day_now(d) < sqlite3_column_int64(st, 3) - lead)
            continue;
        snprintf(games[n], TSR_NAME_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
        draws[n++] = (uint32_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < n; i++) {
        s = tsr_day_advance(d, games[i], draws[i], TSR_DAY_PAID, NULL, 0);
        if (s != TSR_OK && s != TSR_ERR_DAY_WAITING &&
            tsr_status_class_of(s) != TSR_CLASS_FORBIDDEN)
            tsr_log_warn(d->o.env->log, "day_step_failed", "game=%s draw=%u status=%s",
                         games[i], draws[i], tsr_status_name(s));
        if (s == TSR_ERR_IO || s == TSR_ERR_NOMEM)
            return s;
    }
    return TSR_OK;
}

tsr_status tsr_day_step(tsr_day *d)
{
    tsr_status st = schedule(d);
    st = st ? st : day_msg_flush(d);
    st = st ? st : drive(d, d->o.manual);
    return st ? st : day_msg_flush(d);
}
