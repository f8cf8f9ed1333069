/* settled -> paid: the signed RESULT for every node and each node's signed
 * PAYOUT batches (results.h), built from the stored settlement (so they are
 * the same bytes however often they are built), stored, then published;
 * and claim-centre payments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

/* The result's game view and numbers from the record. */
static tsr_status result_numbers(tsr_day *d, const day_row *r, tsr_result *res)
{
    const tsr_game *g = tsr_catalog_find(d->o.catalog, r->game);
    if (!g)
        return TSR_ERR_GAME_UNKNOWN;
    json_error_t err;
    json_t *j = json_loads(r->record, 0, &err);
    tsr_draw_record *rec = NULL;
    tsr_status st = j ? tsr_draw_record_from_json(j, &rec) : TSR_ERR_JSON;
    json_decref(j);
    tsr_draw_result v;
    st = st ? st : day_result_of(g, &rec->numbers, &v);
    if (st == TSR_OK) {
        res->numbers = rec->numbers;
        res->drawn_at_ns = rec->drawn_at_ns;
        for (unsigned i = 0; i < v.main_count; i++)
            res->main[res->main_count++] = v.main[i];
        for (unsigned i = 0; i < v.bonus_count; i++)
            res->bonus[res->bonus_count++] = v.bonus[i];
        res->multiplier = v.multiplier;
    }
    tsr_draw_record_destroy(rec);
    return st;
}

static int64_t jint(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

/* The result message of a settled draw, from its row. */
static tsr_status build_result(tsr_day *d, const day_row *r, tsr_result *res)
{
    memset(res, 0, sizeof *res);
    snprintf(res->game, sizeof res->game, "%s", r->game);
    res->draw = r->draw;
    json_error_t err;
    json_t *rep = json_loads(r->report, 0, &err);
    if (!rep)
        return TSR_ERR_JSON;
    res->refunded_cents = jint(rep, "refunded_cents");
    res->jackpot_next_cents = r->jackpot_next_cents;
    tsr_status st = TSR_OK;
    if (r->cancelled) {
        res->state = TSR_RESULT_CANCELLED;
    } else {
        res->state = TSR_RESULT_DRAWN;
        res->sales_cents = jint(rep, "sales_cents");
        res->paid_cents = jint(rep, "paid_cents");
        res->withheld_cents = jint(rep, "withheld_cents");
        const json_t *tiers = json_object_get(rep, "tiers");
        res->tier_count = (uint8_t)json_array_size(tiers);
        for (unsigned i = 0; i < res->tier_count; i++) {
            const json_t *t = json_array_get(tiers, i);
            res->tiers[i] = (tsr_result_tier){(uint64_t)jint(t, "winners"),
                                              jint(t, "prize_cents"), jint(t, "paid_cents")};
        }
        res->record_json = r->record;
        res->record_len = strlen(r->record);
        st = result_numbers(d, r, res);
    }
    json_decref(rep);
    return st;
}

/* Entries of one node for the draw, by payout id. */
static tsr_status node_entries(tsr_day *d, const day_row *r, const char *node,
                               tsr_payout_entry **out, uint32_t *n, int64_t *sum)
{
    static const char *const sql =
        "SELECT payout_id,ticket_id,kind,tier,klass,reportable,amount_cents,withheld_cents"
        " FROM day_payouts WHERE game=? AND draw=? AND node=? ORDER BY payout_id";
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    *sum = 0;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    sqlite3_bind_text(st, 3, node, -1, SQLITE_TRANSIENT);
    while (s == TSR_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            tsr_payout_entry *p = cap > UINT32_MAX ? NULL : realloc(*out, cap * sizeof *p);
            if (!p) {
                s = TSR_ERR_NOMEM;
                break;
            }
            *out = p;
        }
        tsr_payout_entry *e = &(*out)[(*n)++];
        memcpy(e->payout_id, sqlite3_column_blob(st, 0), TSR_HASH_LEN);
        memcpy(e->ticket_id, sqlite3_column_blob(st, 1), TSR_TICKET_ID_LEN);
        e->kind = (uint8_t)sqlite3_column_int(st, 2);
        e->tier = (uint8_t)sqlite3_column_int(st, 3);
        e->klass = (uint8_t)sqlite3_column_int(st, 4);
        e->reportable = sqlite3_column_int(st, 5) != 0;
        e->amount_cents = sqlite3_column_int64(st, 6);
        e->withheld_cents = sqlite3_column_int64(st, 7);
        *sum += e->amount_cents;
    }
    sqlite3_reset(st);
    return s;
}

/* Signs and stores one node's batches (an empty batch when it has none, so
 * the node knows it was not forgotten). */
static tsr_status node_batches(tsr_day *d, const day_row *r, const char *node, uint8_t *buf)
{
    tsr_payout_entry *e = NULL;
    tsr_payout_batch b;
    memset(&b, 0, sizeof b);
    tsr_status st = node_entries(d, r, node, &e, &b.node_entries, &b.node_amount_cents);
    snprintf(b.node, sizeof b.node, "%s", node);
    snprintf(b.game, sizeof b.game, "%s", r->game);
    b.draw = r->draw;
    b.batch_count = b.node_entries ? (b.node_entries + TSR_PAYOUT_BATCH_MAX - 1) /
                                         TSR_PAYOUT_BATCH_MAX
                                   : 1;
    for (uint32_t i = 0; st == TSR_OK && i < b.batch_count; i++) {
        b.batch_index = i;
        b.entries = e ? e + (size_t)i * TSR_PAYOUT_BATCH_MAX : NULL;
        uint32_t left = b.node_entries - i * TSR_PAYOUT_BATCH_MAX;
        b.n = left < TSR_PAYOUT_BATCH_MAX ? left : TSR_PAYOUT_BATCH_MAX;
        size_t len;
        char id[TSR_SUBJECT_MAX];
        snprintf(id, sizeof id, "%s-%u-%u", r->game, r->draw, i);
        st = tsr_payout_batch_sign(&b, d->o.central_key, buf, TSR_PAYOUT_BATCH_SIGNED_MAX, &len);
        st = st ? st : day_msg_put(d, r->game, r->draw, node, TSR_CTL_PAYOUT, i, id, buf, len);
    }
    free(e);
    return st;
}

/* Nodes to send batches to: the active ones and any holding a payout. */
static tsr_status payout_nodes(tsr_day *d, const day_row *r, char (**names)[TSR_NAME_MAX],
                               size_t *n)
{
    static const char *const sql = "SELECT DISTINCT node FROM day_payouts WHERE game=? AND draw=?";
    tsr_status s = day_active_nodes(d, names, n);
    sqlite3_stmt *st;
    s = s ? s : cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *node = (const char *)sqlite3_column_text(st, 0);
        bool have = false;
        for (size_t i = 0; i < *n && !have; i++)
            have = strcmp((*names)[i], node) == 0;
        if (!have && *n < TSR_CENTRAL_NODES_MAX)
            snprintf((*names)[(*n)++], TSR_NAME_MAX, "%s", node);
    }
    sqlite3_reset(st);
    return TSR_OK;
}

/* Builds and stores every message of the draw in one transaction. */
static tsr_status store_messages(tsr_day *d, const day_row *r)
{
    tsr_result res;
    uint8_t *signed_res = NULL, *buf = malloc(TSR_PAYOUT_BATCH_SIGNED_MAX);
    size_t len = 0, n = 0;
    char (*names)[TSR_NAME_MAX] = NULL;
    char id[TSR_SUBJECT_MAX];
    snprintf(id, sizeof id, "%s-%u", r->game, r->draw);
    tsr_status st = buf ? build_result(d, r, &res) : TSR_ERR_NOMEM;
    st = st ? st : tsr_result_sign(&res, d->o.central_key, &signed_res, &len);
    st = st ? st : payout_nodes(d, r, &names, &n);
    st = st ? st : day_begin(d);
    if (st == TSR_OK) {
        st = day_msg_put(d, r->game, r->draw, NULL, TSR_CTL_RESULT, 0, id, signed_res, len);
        for (size_t i = 0; st == TSR_OK && i < n; i++)
            st = node_batches(d, r, names[i], buf);
        st = st ? st : day_audit(d, "payout_built", r->game, r->draw,
                                 json_pack("{s:i}", "nodes", (int)n));
        if (st == TSR_OK)
            st = day_commit(d);
        else
            day_rollback(d);
    }
    free(names);
    free(signed_res);
    free(buf);
    return st;
}

/* Whether the draw's messages are stored: the result is stored with the
 * batches in one transaction, so its presence says all are. */
static tsr_status messages_built(tsr_day *d, const day_row *r, bool *built)
{
    static const char *const q =
        "SELECT count(*) FROM day_messages WHERE game=? AND draw=? AND kind=?";
    sqlite3_stmt *qs;
    tsr_status st = cdb_stmt(&d->db, q, &qs);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(qs, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(qs, 2, r->draw);
    sqlite3_bind_int(qs, 3, TSR_CTL_RESULT);
    int rc = sqlite3_step(qs);
    *built = rc == SQLITE_ROW && sqlite3_column_int64(qs, 0) > 0;
    sqlite3_reset(qs);
    return rc == SQLITE_ROW ? TSR_OK : cdb_rc(rc);
}

tsr_status day_do_payout(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    bool built = false, done = false;
    tsr_status st = messages_built(d, r, &built);
    if (st == TSR_OK && !built)
        st = store_messages(d, r);
    st = st ? st : day_msg_flush(d);
    st = st ? st : day_msg_all_published(d, r->game, r->draw, &done);
    if (st != TSR_OK) {
        snprintf(why, why_len, "results and payouts are not published yet (%s)",
                 tsr_status_name(st));
        return st;
    }
    if (!done) {
        snprintf(why, why_len, "results and payouts are stored; waiting for the central daemon "
                 "to publish them");
        return TSR_ERR_DAY_WAITING;
    }
    r->state = TSR_DAY_PAID;
    if ((st = day_begin(d)) != TSR_OK)
        return st;
    st = day_row_save(d, r);
    st = st ? st : day_audit(d, "paid", r->game, r->draw, NULL);
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

/* ---- claim centre ---------------------------------------------------------- */

static tsr_status claim_in(cdb *db, const uint8_t id[TSR_HASH_LEN], const char *doc,
                           const char *paid_by, int64_t now_ns)
{
    static const char *const sel =
        "SELECT klass, amount_cents, withheld_cents, game, draw FROM day_payouts WHERE payout_id=?";
    static const char *const ins = "INSERT INTO claims(payout_id,id_document,paid_by,amount_cents,"
                                   "withheld_cents,at_ns) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(db, sel, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, id, TSR_HASH_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return TSR_ERR_NOT_FOUND;
    }
    int klass = sqlite3_column_int(st, 0);
    int64_t amount = sqlite3_column_int64(st, 1), withheld = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (klass != TSR_PAYOUT_CLAIM_CENTRE)
        return TSR_ERR_CLAIM_CLASS;
    if ((s = cdb_stmt(db, ins, &st)) != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, id, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, paid_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, amount);
    sqlite3_bind_int64(st, 5, withheld);
    sqlite3_bind_int64(st, 6, now_ns);
    s = cdb_step_done(st);
    if (s == TSR_ERR_EXISTS)
        return TSR_ERR_CLAIM_DONE;
    char hex[TSR_HASH_HEX_SIZE], *detail = NULL;
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I}", "payout_id",
                          tsr_hex_encode(hex, sizeof hex, id, TSR_HASH_LEN), "id_document", doc,
                          "paid_by", paid_by, "amount_cents", (json_int_t)amount,
                          "withheld_cents", (json_int_t)withheld);
    if (s == TSR_OK && (!j || !(detail = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))))
        s = TSR_ERR_NOMEM;
    json_decref(j);
    s = s ? s : cdb_audit(db, now_ns, "day_claim_paid", detail);
    free(detail);
    return s;
}

tsr_status tsr_day_claim(const char *db_path, const uint8_t payout_id[TSR_HASH_LEN],
                         const char *id_document, const char *paid_by, int64_t now_ns)
{
    if (!id_document || !*id_document || !paid_by || !*paid_by)
        return TSR_ERR_ARG;
    cdb db;
    tsr_status st = cdb_open_existing(&db, db_path);
    st = st ? st : day_schema(&db);
    st = st ? st : cdb_exec(&db, "BEGIN IMMEDIATE");
    if (st == TSR_OK) {
        st = claim_in(&db, payout_id, id_document, paid_by, now_ns);
        if (st == TSR_OK)
            st = cdb_exec(&db, "COMMIT");
        if (st != TSR_OK)
            CENTRAL_BEST_EFFORT(cdb_exec(&db, "ROLLBACK"));
    }
    cdb_close(&db);
    return st;
}
