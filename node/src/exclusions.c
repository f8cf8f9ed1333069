#include "exclusions.h"

#include "ledger_sql.h"
#include "tessera/clock.h"

const char *tsr_exclusion_kind_name(tsr_exclusion_kind k)
{
    return k == TSR_EXCL_SELF ? "self_exclusion" : "cool_off";
}

/* The latest end of an active exclusion of `kind` (0 when none). */
static tsr_status active_end(tsr_store_conn *db, int64_t player_id, const char *kind, int64_t now_ns,
                             int64_t *end)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT coalesce(max(end_ns), 0) FROM exclusions "
                                     "WHERE player_id = ?1 AND kind = ?2 AND end_ns > ?3", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ns);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *end = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

tsr_status tsr_exclusions_add(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                              tsr_exclusion_kind kind, int64_t duration, int64_t now_ns,
                              int64_t *end_ns)
{
    const tsr_accounts_cfg *c = a->cfg;
    int64_t lo = kind == TSR_EXCL_SELF ? c->self_exclusion_min_days : c->cool_off_min_hours;
    int64_t hi = kind == TSR_EXCL_SELF ? c->self_exclusion_max_days : c->cool_off_max_hours;
    int64_t unit = (kind == TSR_EXCL_SELF ? 86400 : 3600) * TSR_NS_PER_S;
    if (duration < lo || duration > hi)
        return TSR_ERR_RANGE;
    const char *name = tsr_exclusion_kind_name(kind);
    int64_t end = now_ns + duration * unit, current;
    tsr_status st = active_end(db, player_id, name, now_ns, &current);
    if (st != TSR_OK)
        return st;
    if (current >= end)
        return TSR_ERR_EXCLUSION_SHORTER;
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db, "INSERT INTO exclusions(player_id, kind, start_ns, end_ns) "
                               "VALUES (?1, ?2, ?3, ?4)", &s)) != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ns);
    sqlite3_bind_int64(s, 4, end);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    *end_ns = end;
    return TSR_OK;
}

tsr_status tsr_exclusions_check(tsr_store_conn *db, int64_t player_id, int64_t now_ns,
                                int64_t *until_ns)
{
    int64_t end = 0;
    tsr_status st = active_end(db, player_id, "self_exclusion", now_ns, &end);
    if (st == TSR_OK && end > 0) {
        if (until_ns)
            *until_ns = end;
        return TSR_ERR_SELF_EXCLUDED;
    }
    if (st == TSR_OK)
        st = active_end(db, player_id, "cool_off", now_ns, &end);
    if (st == TSR_OK && end > 0) {
        if (until_ns)
            *until_ns = end;
        return TSR_ERR_COOL_OFF;
    }
    return st;
}
