/* Retail sales posted per group (sales_batch.h). */
#include "sales_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "tessera/catalog.h"
#include "ledger_sql.h"
#include "node_int.h"

/* One counted sale, in order (the log a revert walks back). */
typedef struct sale {
    uint32_t term, game; /* indexes into terms and games */
    tsr_cents stake;
    int64_t seq;
} sale;

/* A terminal seen since the last flush: its float's balance then, and what
 * is counted against it since. */
typedef struct term_state {
    char terminal[TSR_LEDGER_KEY_MAX + 1];
    char account[TSR_LEDGER_NAME_SIZE];
    tsr_cents balance, pending;
} term_state;

struct tsr_sales_batch {
    sale *log;
    size_t n, cap;
    term_state *terms;
    size_t n_terms, cap_terms;
    uint32_t *slots; /* open addressing: term index + 1, 0 = empty */
    size_t n_slots;  /* a power of two, at least twice n_terms */
    char (*games)[TSR_LEDGER_NAME_SIZE];
    size_t n_games, cap_games;
};

/* Games a batch tells apart: every game of a catalogue (sales are only
 * for games of the node's catalogue, so the limit is never reached by a
 * valid sale). */
#define GAMES_MAX TSR_CATALOG_GAMES_MAX
/* First capacity of the batch's arrays. */
#define GROW_FIRST 64
/* Slots of the terminal table at first. */
#define SLOTS_MIN 64

tsr_status tsr_sales_batch_new(tsr_sales_batch **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

void tsr_sales_batch_free(tsr_sales_batch *b)
{
    if (!b)
        return;
    free(b->log);
    free(b->terms);
    free(b->slots);
    free(b->games);
    free(b);
}

/* ---- terminals and games ------------------------------------------------------ */

static size_t slot_of(const char *s, size_t n_slots)
{
    return (size_t)tsr_table_hash(0, s, strlen(s)) & (n_slots - 1);
}

/* Rebuilds the slots for twice the terminals (or SLOTS_MIN). */
static tsr_status rehash(tsr_sales_batch *b, size_t want)
{
    size_t n = SLOTS_MIN;
    while (n < 2 * want)
        n *= 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    for (size_t i = 0; i < b->n_terms; i++) {
        size_t k = slot_of(b->terms[i].terminal, n);
        while (s[k])
            k = (k + 1) & (n - 1);
        s[k] = (uint32_t)i + 1;
    }
    free(b->slots);
    b->slots = s;
    b->n_slots = n;
    return TSR_OK;
}

/* A new terminal: its float's name and balance now. */
static tsr_status term_new(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                           size_t *index)
{
    term_state t = {.pending = 0};
    tsr_status s = tsr_ledger_float_account(t.account, terminal);
    if (s != TSR_OK)
        return s;
    snprintf(t.terminal, sizeof t.terminal, "%s", terminal);
    if ((s = tsr_ledger_balance(db, t.account, &t.balance)) != TSR_OK)
        return s;
    if (!tsr_grow((void **)&b->terms, &b->cap_terms, b->n_terms + 1, sizeof *b->terms, GROW_FIRST) ||
        (2 * (b->n_terms + 1) > b->n_slots && rehash(b, b->n_terms + 1) != TSR_OK))
        return TSR_ERR_NOMEM;
    b->terms[b->n_terms] = t;
    size_t k = slot_of(terminal, b->n_slots);
    while (b->slots[k])
        k = (k + 1) & (b->n_slots - 1);
    b->slots[k] = (uint32_t)b->n_terms + 1;
    *index = b->n_terms++;
    return TSR_OK;
}

static tsr_status term_find(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                            size_t *index)
{
    if (b->n_slots) {
        for (size_t k = slot_of(terminal, b->n_slots); b->slots[k]; k = (k + 1) & (b->n_slots - 1))
            if (strcmp(b->terms[b->slots[k] - 1].terminal, terminal) == 0) {
                *index = b->slots[k] - 1;
                return TSR_OK;
            }
    }
    return term_new(b, db, terminal, index);
}

static tsr_status game_find(tsr_sales_batch *b, const char *game, size_t *index)
{
    char name[TSR_LEDGER_NAME_SIZE];
    tsr_status s = tsr_ledger_sales_account(name, game);
    if (s != TSR_OK)
        return s;
    for (size_t i = 0; i < b->n_games; i++)
        if (strcmp(b->games[i], name) == 0) {
            *index = i;
            return TSR_OK;
        }
    if (b->n_games == GAMES_MAX)
        return TSR_ERR_INTERNAL; /* a game outside the catalogue was sold */
    if (!tsr_grow((void **)&b->games, &b->cap_games, b->n_games + 1, sizeof *b->games, GROW_FIRST))
        return TSR_ERR_NOMEM;
    memcpy(b->games[b->n_games], name, sizeof name);
    *index = b->n_games++;
    return TSR_OK;
}

/* ---- counting ------------------------------------------------------------------ */

tsr_status tsr_sales_batch_add(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                               const char *game, tsr_cents stake, int64_t seq)
{
    if (stake <= 0 || stake > TSR_MONEY_MAX || !terminal || !game)
        return TSR_ERR_ARG;
    size_t t, g;
    tsr_status s = term_find(b, db, terminal, &t);
    if (s == TSR_OK)
        s = game_find(b, game, &g);
    if (s != TSR_OK)
        return s;
    term_state *ts = &b->terms[t];
    /* pending <= balance always holds, so this cannot wrap */
    if (stake > ts->balance - ts->pending)
        return TSR_ERR_FLOAT_FUNDS;
    if (!tsr_grow((void **)&b->log, &b->cap, b->n + 1, sizeof *b->log, GROW_FIRST))
        return TSR_ERR_NOMEM;
    b->log[b->n++] = (sale){(uint32_t)t, (uint32_t)g, stake, seq};
    ts->pending += stake;
    return TSR_OK;
}

tsr_status tsr_sales_batch_covers(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                                  tsr_cents amount)
{
    if (amount <= 0 || amount > TSR_MONEY_MAX || !terminal)
        return TSR_ERR_ARG;
    size_t t;
    tsr_status s = term_find(b, db, terminal, &t);
    if (s != TSR_OK)
        return s;
    return amount > b->terms[t].balance - b->terms[t].pending ? TSR_ERR_FLOAT_FUNDS : TSR_OK;
}

size_t tsr_sales_batch_mark(const tsr_sales_batch *b) { return b->n; }

static void clear(tsr_sales_batch *b);

void tsr_sales_batch_revert(tsr_sales_batch *b, size_t mark)
{
    if (mark == 0) { /* back to empty: the balances are read again */
        clear(b);
        return;
    }
    while (b->n > mark) {
        const sale *x = &b->log[--b->n];
        b->terms[x->term].pending -= x->stake;
    }
}

size_t tsr_sales_batch_pending(const tsr_sales_batch *b) { return b->n; }

static void clear(tsr_sales_batch *b)
{
    b->n = 0;
    b->n_terms = 0;
    b->n_games = 0;
    if (b->slots)
        memset(b->slots, 0, b->n_slots * sizeof *b->slots);
}

/* ---- posting --------------------------------------------------------------------- */

/* One terminal's sums: per game, and the seq range. */
typedef struct term_sums {
    tsr_cents *per_game; /* n_games */
    int64_t first, last;
} term_sums;

/* The ref of a "sales" posting names the seq range of its tickets:
 * "seq:<first>-<last>", both decimal, first <= last. Written and read
 * here only. */
#define REF_PREFIX "seq:"

/* Parses a ref strictly: false for anything but REF_PREFIX, digits, '-',
 * digits, with 1 <= lo <= hi. */
static bool ref_parse(const char *ref, int64_t *lo, int64_t *hi)
{
    if (!ref || strncmp(ref, REF_PREFIX, strlen(REF_PREFIX)) != 0)
        return false;
    const char *p = ref + strlen(REF_PREFIX);
    int64_t v[2];
    for (int k = 0; k < 2; k++) {
        if (*p < '0' || *p > '9')
            return false;
        for (v[k] = 0; *p >= '0' && *p <= '9'; p++) {
            if (v[k] > (INT64_MAX - (*p - '0')) / 10)
                return false;
            v[k] = v[k] * 10 + (*p - '0');
        }
        if (*p++ != (k == 0 ? '-' : '\0'))
            return false;
    }
    *lo = v[0];
    *hi = v[1];
    return v[0] >= 1 && v[0] <= v[1];
}

/* Posts one terminal's sales in transactions of at most LEGS_MAX - 1 games. */
static tsr_status post_terminal(const tsr_sales_batch *b, tsr_store_conn *db, size_t t,
                                const term_sums *ts, int64_t now_ns)
{
    char ref[64];
    snprintf(ref, sizeof ref, REF_PREFIX "%" PRId64 "-%" PRId64, ts->first, ts->last);
    tsr_ledger_leg legs[TSR_LEDGER_LEGS_MAX];
    size_t g = 0;
    tsr_status s = TSR_OK;
    while (s == TSR_OK && g < b->n_games) {
        size_t n = 1;
        tsr_cents sum = 0;
        for (; g < b->n_games && n < TSR_LEDGER_LEGS_MAX; g++) {
            if (ts->per_game[g] == 0)
                continue;
            legs[n++] = (tsr_ledger_leg){b->games[g], -ts->per_game[g]};
            sum += ts->per_game[g]; /* <= the float's balance: no overflow */
        }
        if (n == 1)
            break;
        legs[0] = (tsr_ledger_leg){b->terms[t].account, sum};
        s = tsr_ledger_post(db, "sales", ref, now_ns, legs, n, NULL);
    }
    return s == TSR_ERR_LEDGER_NEGATIVE || s == TSR_ERR_OVERFLOW ? TSR_ERR_INTERNAL : s;
}

tsr_status tsr_sales_batch_flush(tsr_sales_batch *b, tsr_store_conn *db, int64_t now_ns)
{
    if (b->n == 0) {
        clear(b);
        return TSR_OK;
    }
    tsr_cents *sums = calloc(b->n_terms * b->n_games, sizeof *sums);
    term_sums *ts = calloc(b->n_terms, sizeof *ts);
    tsr_status s = sums && ts ? TSR_OK : TSR_ERR_NOMEM;
    for (size_t t = 0; s == TSR_OK && t < b->n_terms; t++)
        ts[t] = (term_sums){sums + t * b->n_games, INT64_MAX, INT64_MIN};
    for (size_t i = 0; s == TSR_OK && i < b->n; i++) {
        const sale *x = &b->log[i];
        term_sums *y = &ts[x->term];
        y->per_game[x->game] += x->stake;
        y->first = x->seq < y->first ? x->seq : y->first;
        y->last = x->seq > y->last ? x->seq : y->last;
    }
    for (size_t t = 0; s == TSR_OK && t < b->n_terms; t++)
        if (b->terms[t].pending > 0)
            s = post_terminal(b, db, t, &ts[t], now_ns);
    free(sums);
    free(ts);
    clear(b);
    return s;
}

/* ---- the check against the tickets --------------------------------------------------- */

static const char SQL_SALES_TXS[] = "SELECT id, ref FROM ledger_tx WHERE kind = 'sales' ORDER BY id";
static const char SQL_TX_ENTRIES[] =
    "SELECT a.name, e.amount FROM ledger_entries e JOIN accounts a ON a.id = e.account_id "
    "WHERE e.tx_id = ?1 ORDER BY e.amount DESC";
static const char SQL_TICKETS_SUM[] =
    "SELECT coalesce(sum(stake_cents), 0) FROM tickets WHERE terminal_id = ?1 "
    "AND seq BETWEEN ?2 AND ?3 AND game = ?4";
static const char SQL_TERMINAL_TOTALS[] =
    "SELECT t.terminal_id, sum(t.stake_cents), "
    "  (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e "
    "   JOIN ledger_tx x ON x.id = e.tx_id JOIN accounts a ON a.id = e.account_id "
    "   WHERE a.name = 'agent_float:' || t.terminal_id AND x.kind IN ('bet', 'sales')) "
    "FROM tickets t WHERE t.terminal_id IS NOT NULL GROUP BY t.terminal_id";

#define FLOAT_PREFIX "agent_float:"
#define SALES_PREFIX "sales:"

/* The stakes of terminal's tickets of game with seq in [lo, hi]. */
static tsr_status tickets_sum(tsr_store_conn *db, const char *terminal, int64_t lo, int64_t hi,
                              const char *game, tsr_cents *out)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_TICKETS_SUM, &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, terminal, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    sqlite3_bind_text(s, 4, game, -1, SQLITE_TRANSIENT);
    if ((st = tsr_sql_row(s)) == TSR_OK) {
        *out = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    return st;
}

/* One "sales" transaction: the float entry first (the only debit), then
 * one credit per game, each equal to that game's tickets in the range. */
static tsr_status check_tx(tsr_store_conn *db, int64_t tx, const char *ref, bool *ok)
{
    int64_t lo, hi;
    char terminal[TSR_LEDGER_NAME_SIZE] = "";
    *ok = ref_parse(ref, &lo, &hi);
    sqlite3_stmt *s;
    tsr_status st = *ok ? tsr_sql_prep(db, SQL_TX_ENTRIES, &s) : TSR_OK;
    if (!*ok || st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, tx);
    int rows = 0;
    while (*ok && (st = tsr_sql_row(s)) == TSR_OK) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        tsr_cents amount = sqlite3_column_int64(s, 1), want = 0;
        if (rows++ == 0) {
            *ok = amount > 0 && strncmp(name, FLOAT_PREFIX, strlen(FLOAT_PREFIX)) == 0;
            snprintf(terminal, sizeof terminal, "%s", *ok ? name + strlen(FLOAT_PREFIX) : "");
            continue;
        }
        *ok = strncmp(name, SALES_PREFIX, strlen(SALES_PREFIX)) == 0;
        char game[TSR_LEDGER_NAME_SIZE];
        snprintf(game, sizeof game, "%s", *ok ? name + strlen(SALES_PREFIX) : "");
        tsr_status ts = *ok ? tickets_sum(db, terminal, lo, hi, game, &want) : TSR_OK;
        if (ts != TSR_OK) {
            sqlite3_reset(s);
            return ts;
        }
        *ok = *ok && want == -amount;
    }
    if (st == TSR_OK)
        sqlite3_reset(s);
    *ok = *ok && rows >= 2;
    return st == TSR_OK || st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
}

/* Every terminal's float was debited exactly its tickets' stakes, by
 * per-ticket "bet" transactions (before sales were batched) or "sales". */
static tsr_status check_totals(tsr_store_conn *db, bool *ok)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_TERMINAL_TOTALS, &s);
    if (st != TSR_OK)
        return st;
    *ok = true;
    while (*ok && (st = tsr_sql_row(s)) == TSR_OK)
        *ok = sqlite3_column_int64(s, 1) == sqlite3_column_int64(s, 2);
    if (st == TSR_OK)
        sqlite3_reset(s);
    return st == TSR_OK || st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
}

tsr_status tsr_sales_batch_check(tsr_store_conn *db, int64_t *bad_tx)
{
    *bad_tx = 0;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_SALES_TXS, &s);
    if (st != TSR_OK)
        return st;
    bool ok = true;
    while (ok && (st = tsr_sql_row(s)) == TSR_OK) {
        int64_t tx = sqlite3_column_int64(s, 0);
        char ref[64];
        snprintf(ref, sizeof ref, "%s", (const char *)sqlite3_column_text(s, 1));
        tsr_status cs = check_tx(db, tx, ref, &ok);
        if (cs != TSR_OK) {
            sqlite3_reset(s);
            return cs;
        }
        if (!ok)
            *bad_tx = tx;
    }
    if (st == TSR_OK)
        sqlite3_reset(s);
    if (st != TSR_OK && st != TSR_ERR_NOT_FOUND)
        return st;
    if (ok && (st = check_totals(db, &ok)) != TSR_OK)
        return st;
    return ok ? TSR_OK : TSR_ERR_LEDGER_UNBALANCED;
}

static const char SQL_FLOAT_SALES_REFS[] =
    "SELECT t.ref FROM ledger_entries e JOIN ledger_tx t ON t.id = e.tx_id "
    "WHERE e.account_id = ?1 AND e.tx_id >= ?2 AND e.tx_id < ?3 AND t.kind = 'sales'";
static const char SQL_TICKETS_IN_RANGE[] =
    "SELECT count(*) FROM tickets WHERE terminal_id = ?1 AND seq BETWEEN ?2 AND ?3";

/* The seq range [*lo, *hi] the float's "sales" postings of [tx_lo, tx_hi)
 * cover (*lo > *hi when there are none). */
static tsr_status sales_range(tsr_store_conn *db, int64_t account_id, int64_t tx_lo,
                              int64_t tx_hi, int64_t *lo, int64_t *hi)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_FLOAT_SALES_REFS, &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, account_id);
    sqlite3_bind_int64(s, 2, tx_lo);
    sqlite3_bind_int64(s, 3, tx_hi);
    *lo = INT64_MAX;
    *hi = 0;
    while ((st = tsr_sql_row(s)) == TSR_OK) {
        int64_t a, b;
        if (!ref_parse((const char *)sqlite3_column_text(s, 0), &a, &b)) {
            sqlite3_reset(s);
            return TSR_ERR_LEDGER_UNBALANCED;
        }
        *lo = a < *lo ? a : *lo;
        *hi = b > *hi ? b : *hi;
    }
    sqlite3_reset(s);
    return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
}

tsr_status tsr_sales_batch_tickets(tsr_store_conn *db, const char *terminal, int64_t account_id,
                                   int64_t tx_lo, int64_t tx_hi, int64_t *count)
{
    int64_t lo, hi;
    *count = 0;
    tsr_status st = sales_range(db, account_id, tx_lo, tx_hi, &lo, &hi);
    if (st != TSR_OK || lo > hi)
        return st;
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db, SQL_TICKETS_IN_RANGE, &s)) != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, terminal, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, lo);
    sqlite3_bind_int64(s, 3, hi);
    if ((st = tsr_sql_row(s)) == TSR_OK) {
        *count = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    return st;
}
