/* End-of-day settlement of a terminal, summed from its float's ledger
 * entries (never from a counter of its own, so it always agrees with the
 * ledger that `tessera ledger-check` verifies). */
#include <stdio.h>
#include <string.h>

#include "agents.h"
#include "ledger.h"
#include "ledger_sql.h"
#include "sales_batch.h"
#include "tessera/clock.h"

#define NS_PER_DAY (INT64_C(86400) * TSR_NS_PER_S)

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), counted by whole
 * years then months: the range is two centuries, so a loop is plenty. */
static int64_t days_since_epoch(int64_t y, int m, int d)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = 0;
    for (int64_t k = 1970; k < y; k++)
        days += leap(k) ? 366 : 365;
    return days + before[m - 1] + (m > 2 && leap(y)) + d - 1;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

tsr_status tsr_settlement_day(const char *day, int64_t *start_ns)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!day || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
        return TSR_ERR_DATE;
    int y = digits(day, 4), m = digits(day + 5, 2), d = digits(day + 8, 2);
    if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1)
        return TSR_ERR_DATE;
    if (d > mdays[m - 1] + (m == 2 && leap(y)))
        return TSR_ERR_DATE;
    *start_ns = days_since_epoch(y, m, d) * NS_PER_DAY;
    return TSR_OK;
}

/* The id of the first transaction stamped at or after at_ns; INT64_MAX
 * when none is (yet). */
static tsr_status first_tx_at(tsr_store_conn *db, int64_t at_ns, int64_t *id)
{
    tsr_status st = tsr_sql_int(db, "SELECT id FROM ledger_tx WHERE at_ns >= ?1 "
                                    "ORDER BY at_ns, id LIMIT 1", at_ns, id);
    if (st == TSR_ERR_NOT_FOUND) {
        *id = INT64_MAX;
        return TSR_OK;
    }
    return st;
}

/* Adds the float's entries of [lo, hi) by kind into *out: a ticket sold is
 * a "bet" posting of its own, or (since sales are posted per group) part
 * of a "sales" posting. */
static tsr_status sum_kinds(tsr_store_conn *db, const char *terminal, int64_t account_id,
                            int64_t lo, int64_t hi, tsr_settlement *out)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT t.kind, count(*), sum(e.amount) FROM ledger_entries e "
        "JOIN ledger_tx t ON t.id = e.tx_id "
        "WHERE e.account_id = ?1 AND e.tx_id >= ?2 AND e.tx_id < ?3 GROUP BY t.kind", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, account_id);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    /* Entries are debit-positive; the float is credit-normal, so a sale
     * (debit) is +stake and what replenishes the float is negative. */
    while ((st = tsr_sql_row(s)) == TSR_OK) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        int64_t n = sqlite3_column_int64(s, 1);
        tsr_cents sum = sqlite3_column_int64(s, 2);
        if (strcmp(kind, "bet") == 0)
            out->sales_count += n, out->sales += sum;
        else if (strcmp(kind, "sales") == 0)
            out->sales += sum;
        else if (strcmp(kind, "refund") == 0)
            out->cancels_count = n, out->cancels = -sum;
        else if (strcmp(kind, "claim") == 0)
            out->payouts_count = n, out->payouts = -sum;
        else if (strcmp(kind, "float_topup") == 0)
            out->cash_in_count = n, out->cash_in = -sum;
        else if (strcmp(kind, "float_settle") == 0)
            out->cash_out_count = n, out->cash_out = sum;
        else
            out->other -= sum;
    }
    if (st != TSR_ERR_NOT_FOUND)
        return st;
    int64_t batched = 0;
    st = tsr_sales_batch_tickets(db, terminal, account_id, lo, hi, &batched);
    out->sales_count += batched;
    return st;
}

static tsr_status account_of(tsr_store_conn *db, const char *name, int64_t *id, tsr_cents *balance)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT id, balance FROM accounts WHERE name = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *id = sqlite3_column_int64(s, 0);
    *balance = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return TSR_OK;
}

static void day_name(int64_t start_ns, char out[11])
{
    char iso[40];
    tsr_time_format(start_ns, iso, sizeof iso); /* 2026-01-15T00:00:00.000Z */
    snprintf(out, 11, "%.10s", iso);
}

/* The float's natural movement (credit-positive) from transaction from_tx
 * on. */
static tsr_status movement_since(tsr_store_conn *db, int64_t account_id, int64_t from_tx,
                                 tsr_cents *out)
{
    sqlite3_stmt *s;
    *out = 0;
    tsr_status st = tsr_sql_prep(db, "SELECT -coalesce(sum(amount), 0) FROM ledger_entries "
                                     "WHERE account_id = ?1 AND tx_id >= ?2", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, account_id);
    sqlite3_bind_int64(s, 2, from_tx);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

static void derive(tsr_settlement *r, tsr_cents balance_now, tsr_cents later)
{
    r->float_close = balance_now - later;
    r->float_open = r->float_close + r->sales - r->cancels - r->payouts - r->cash_in + r->cash_out -
                    r->other;
    r->net_takings = r->sales - r->cancels - r->payouts;
    r->net_cash_due = r->net_takings - r->cash_in + r->cash_out;
}

tsr_status tsr_settlement_compute(tsr_store_conn *db, const char *terminal_id,
                                  int64_t day_start_ns, tsr_settlement *out)
{
    char acct[TSR_LEDGER_NAME_SIZE];
    memset(out, 0, sizeof *out);
    day_name(day_start_ns, out->day);
    if (tsr_ledger_float_account(acct, terminal_id) != TSR_OK)
        return TSR_ERR_ARG;
    int64_t id = 0;
    tsr_cents balance = 0, later = 0;
    tsr_status st = first_tx_at(db, day_start_ns, &out->first_tx);
    if (st == TSR_OK)
        st = first_tx_at(db, day_start_ns + NS_PER_DAY, &out->end_tx);
    if (st == TSR_OK)
        st = account_of(db, acct, &id, &balance);
    if (st == TSR_ERR_NOT_FOUND)
        return TSR_OK; /* a terminal that never moved money */
    if (st == TSR_OK)
        st = sum_kinds(db, terminal_id, id, out->first_tx, out->end_tx, out);
    if (st == TSR_OK && out->end_tx != INT64_MAX)
        st = movement_since(db, id, out->end_tx, &later);
    if (st == TSR_OK)
        derive(out, balance, later);
    return st;
}
