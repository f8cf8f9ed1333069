#include "limits.h"

#include <string.h>

#include "ledger_sql.h"
#include "tessera/clock.h"

static const char *const kind_names[TSR_LIMIT_KINDS] = {"stake_day", "stake_week", "deposit_day",
                                                        "deposit_week"};

const char *tsr_limit_kind_name(tsr_limit_kind k)
{
    return (unsigned)k < TSR_LIMIT_KINDS ? kind_names[k] : "?";
}

static int64_t day_of(int64_t ns) { return ns / (86400 * TSR_NS_PER_S); }

/* The stored row folded to what is in force at now_ns. */
static tsr_status load(tsr_store_conn *db, int64_t player_id, tsr_limit_kind k, int64_t now_ns,
                       tsr_limit_view *v)
{
    v->amount = TSR_LIMIT_NONE;
    v->pending = false;
    v->pending_amount = TSR_LIMIT_NONE;
    v->pending_at_ns = 0;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT coalesce(amount, -1), pending_set, "
                                     "coalesce(pending_amount, -1), coalesce(pending_at_ns, 0) "
                                     "FROM limits WHERE player_id = ?1 AND kind = ?2", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind_names[k], -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
    v->amount = sqlite3_column_int64(s, 0);
    v->pending = sqlite3_column_int(s, 1) != 0;
    v->pending_amount = sqlite3_column_int64(s, 2);
    v->pending_at_ns = sqlite3_column_int64(s, 3);
    sqlite3_reset(s);
    if (v->pending && now_ns >= v->pending_at_ns) {
        v->amount = v->pending_amount;
        v->pending = false;
        v->pending_amount = TSR_LIMIT_NONE;
        v->pending_at_ns = 0;
    }
    return TSR_OK;
}

tsr_status tsr_limits_get(tsr_store_conn *db, int64_t player_id, int64_t now_ns,
                          tsr_limit_view out[TSR_LIMIT_KINDS])
{
    for (int k = 0; k < TSR_LIMIT_KINDS; k++) {
        tsr_status st = load(db, player_id, (tsr_limit_kind)k, now_ns, &out[k]);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

static bool is_raise(tsr_cents current, tsr_cents next)
{
    if (current == TSR_LIMIT_NONE)
        return false; /* from no limit, any limit is a lowering */
    return next == TSR_LIMIT_NONE || next > current;
}

static tsr_status store(tsr_store_conn *db, int64_t player_id, tsr_limit_kind k,
                        const tsr_limit_view *v)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO limits(player_id, kind, amount, pending_set, pending_amount, pending_at_ns) "
        "VALUES (?1, ?2, nullif(?3, -1), ?4, nullif(?5, -1), nullif(?6, 0)) "
        "ON CONFLICT(player_id, kind) DO UPDATE SET amount = excluded.amount, "
        "pending_set = excluded.pending_set, pending_amount = excluded.pending_amount, "
        "pending_at_ns = excluded.pending_at_ns", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind_names[k], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, v->amount);
    sqlite3_bind_int(s, 4, v->pending);
    sqlite3_bind_int64(s, 5, v->pending ? v->pending_amount : TSR_LIMIT_NONE);
    sqlite3_bind_int64(s, 6, v->pending ? v->pending_at_ns : 0);
    return tsr_sql_run(s);
}

tsr_status tsr_limits_set(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                          tsr_limit_kind kind, tsr_cents amount, int64_t now_ns,
                          tsr_limit_view *out)
{
    if ((unsigned)kind >= TSR_LIMIT_KINDS)
        return TSR_ERR_ARG;
    if ((amount < 0 && amount != TSR_LIMIT_NONE) || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    tsr_limit_view v;
    tsr_status st = load(db, player_id, kind, now_ns, &v);
    if (st != TSR_OK)
        return st;
    if (is_raise(v.amount, amount)) {
        v.pending = true;
        v.pending_amount = amount;
        v.pending_at_ns = now_ns + a->cfg->limit_raise_delay_s * TSR_NS_PER_S;
    } else {
        v.amount = amount; /* a lowering also cancels a waiting raise */
        v.pending = false;
        v.pending_amount = TSR_LIMIT_NONE;
        v.pending_at_ns = 0;
    }
    if ((st = store(db, player_id, kind, &v)) != TSR_OK)
        return st;
    *out = v;
    return TSR_OK;
}

static tsr_status usage_sum(tsr_store_conn *db, int64_t player_id, const char *kind, int64_t from_day,
                            int64_t to_day, tsr_cents *out)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT coalesce(sum(amount), 0) FROM limit_usage "
                                     "WHERE player_id = ?1 AND kind = ?2 AND day BETWEEN ?3 AND ?4", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, from_day);
    sqlite3_bind_int64(s, 4, to_day);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

static tsr_status usage_add(tsr_store_conn *db, int64_t player_id, const char *kind, int64_t day,
                            tsr_cents delta)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO limit_usage(player_id, kind, day, amount) VALUES (?1, ?2, ?3, max(?4, 0)) "
        "ON CONFLICT(player_id, kind, day) DO UPDATE SET amount = max(amount + ?4, 0)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, day);
    sqlite3_bind_int64(s, 4, delta);
    return tsr_sql_run(s);
}

/* TSR_ERR_LIMIT_EXCEEDED when used + amount passes a limit in force. */
static tsr_status within(tsr_cents limit, tsr_cents used, tsr_cents amount)
{
    tsr_cents total;
    if (limit == TSR_LIMIT_NONE)
        return TSR_OK;
    if (tsr_money_add(used, amount, &total) != TSR_OK)
        return TSR_ERR_OVERFLOW;
    return total > limit ? TSR_ERR_LIMIT_EXCEEDED : TSR_OK;
}

tsr_status tsr_limits_check(tsr_store_conn *db, int64_t player_id, bool deposit,
                            tsr_cents amount, int64_t now_ns)
{
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    const char *kind = deposit ? "deposit" : "stake";
    tsr_limit_view day_l, week_l;
    tsr_status st = load(db, player_id, deposit ? TSR_LIMIT_DEPOSIT_DAY : TSR_LIMIT_STAKE_DAY,
                         now_ns, &day_l);
    if (st == TSR_OK)
        st = load(db, player_id, deposit ? TSR_LIMIT_DEPOSIT_WEEK : TSR_LIMIT_STAKE_WEEK, now_ns,
                  &week_l);
    int64_t today = day_of(now_ns);
    tsr_cents used_day = 0, used_week = 0;
    if (st == TSR_OK && day_l.amount != TSR_LIMIT_NONE)
        st = usage_sum(db, player_id, kind, today, today, &used_day);
    if (st == TSR_OK && week_l.amount != TSR_LIMIT_NONE)
        st = usage_sum(db, player_id, kind, today - (TSR_LIMIT_WEEK_DAYS - 1), today, &used_week);
    if (st == TSR_OK)
        st = within(day_l.amount, used_day, amount);
    if (st == TSR_OK)
        st = within(week_l.amount, used_week, amount);
    return st;
}

tsr_status tsr_limits_record(tsr_store_conn *db, int64_t player_id, bool deposit,
                             tsr_cents amount, int64_t now_ns)
{
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    return usage_add(db, player_id, deposit ? "deposit" : "stake", day_of(now_ns), amount);
}

tsr_status tsr_limits_use(tsr_store_conn *db, int64_t player_id, bool deposit, tsr_cents amount,
                          int64_t now_ns)
{
    tsr_status st = tsr_limits_check(db, player_id, deposit, amount, now_ns);
    return st == TSR_OK ? tsr_limits_record(db, player_id, deposit, amount, now_ns) : st;
}

tsr_status tsr_limits_release(tsr_store_conn *db, int64_t player_id, bool deposit,
                              tsr_cents amount, int64_t at_ns)
{
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    return usage_add(db, player_id, deposit ? "deposit" : "stake", day_of(at_ns), -amount);
}
