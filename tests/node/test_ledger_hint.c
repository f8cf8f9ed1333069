/* The ledger's fast path: account ids remembered per connection and one
 * guarded UPDATE per leg. A remembered id must never move money on the
 * wrong account (a creation rolled back, an id reused, another database in
 * the same process), a refusal must change nothing, the money range still
 * holds, and a long mix of postings leaves a ledger `tessera ledger-check`
 * accepts with every balance where a model of it says. */
#include <sqlite3.h>
#include <stdlib.h>

#include "../../node/src/ledger_sql.h"
#include "test_ledger_fixture.h"

static int64_t account_id(fx *f, const char *name)
{
    sqlite3_stmt *s;
    int64_t id = 0;
    ck_assert_int_eq(sqlite3_prepare_v2(tsr_store_conn_db(f->db), "SELECT id FROM accounts WHERE name = ?1",
                                        -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return id;
}

static int64_t count_of(fx *f, const char *sql)
{
    int64_t n = -1;
    ck_assert_int_eq(tsr_store_query_int(f->db, sql, &n), TSR_OK);
    return n;
}

/* Statements started on a connection (SQLITE_TRACE_STMT). */
static int on_stmt(unsigned type, void *ctx, void *p, void *x)
{
    (void)type, (void)p, (void)x;
    (*(int *)ctx)++;
    return 0;
}

START_TEST(a_rolled_back_creation_leaves_no_usable_id)
{
    fx f;
    fx_open(&f);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "0", f.now, "agent_cash", "sales:lotto", 10, NULL), TSR_OK);
    /* T1 is created and remembered inside a savepoint that rolls back. */
    ck_assert_int_eq(tsr_store_exec(f.db, "SAVEPOINT job"), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "1", f.now, "agent_cash", "agent_float:T1", 500, NULL), TSR_OK);
    int64_t gone = account_id(&f, "agent_float:T1");
    ck_assert_int_gt(gone, 0);
    ck_assert_int_eq(tsr_store_exec(f.db, "ROLLBACK TO job; RELEASE job"), TSR_OK);
    ck_assert_int_eq(account_id(&f, "agent_float:T1"), 0);
    /* The next account takes the same id: T1's remembered id now names T2. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "2", f.now, "agent_cash", "agent_float:T2", 300, NULL), TSR_OK);
    ck_assert_int_eq(account_id(&f, "agent_float:T2"), gone);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "3", f.now, "agent_cash", "agent_float:T1", 70, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 70);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T2"), 300);
    ck_assert_int_ne(account_id(&f, "agent_float:T1"), gone);
    /* A bet refused on a fresh account rolls its creation back too (the
     * ledger's own savepoint); T3 then takes that id, and a later float
     * for T4 (which remembered it) lands on T4 alone. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "4", f.now, "agent_float:T4", "sales:lotto", 5, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(account_id(&f, "agent_float:T4"), 0);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "5", f.now, "agent_cash", "agent_float:T3", 40, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "6", f.now, "agent_cash", "agent_float:T4", 9, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T3"), 40);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T4"), 9);
    /* The same with the ledger's savepoint suppressed, as inside a bet. */
    ck_assert_int_eq(tsr_store_exec(f.db, "SAVEPOINT job"), TSR_OK);
    tsr_sql_sp_covered(true);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "7", f.now, "agent_cash", "agent_float:T5", 11, NULL), TSR_OK);
    tsr_sql_sp_covered(false);
    ck_assert_int_eq(tsr_store_exec(f.db, "ROLLBACK TO job; RELEASE job"), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "8", f.now, "agent_cash", "agent_float:T6", 12, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "9", f.now, "agent_cash", "agent_float:T5", 13, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T5"), 13);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T6"), 12);
    ck_assert_int_eq(fx_balance(&f, "agent_cash"), 10 + 300 + 70 + 40 + 9 + 12 + 13);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(a_refused_floor_changes_nothing)
{
    fx f;
    fx_open(&f);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float", "1", f.now, "agent_cash", "agent_float:T1", 100, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "2", f.now, "agent_float:T1", "sales:lotto", 30, NULL), TSR_OK);
    int64_t tx = count_of(&f, "SELECT count(*) FROM ledger_tx");
    int64_t en = count_of(&f, "SELECT count(*) FROM ledger_entries");
    /* The floor refuses on the first leg... */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "3", f.now, "agent_float:T1", "sales:lotto", 71, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    /* ...and on the second, after the first moved (the savepoint undoes it). */
    tsr_ledger_leg legs[2] = {{"psp_clearing", -71}, {"agent_float:T1", 71}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "4", f.now, legs, 2, NULL), TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 70);
    ck_assert_int_eq(fx_balance(&f, "sales:lotto"), 30);
    ck_assert_int_eq(fx_balance(&f, "psp_clearing"), 0);
    ck_assert_int_eq(count_of(&f, "SELECT count(*) FROM ledger_tx"), tx);
    ck_assert_int_eq(count_of(&f, "SELECT count(*) FROM ledger_entries"), en);
    /* Exactly down to zero is allowed; one more cent is not. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "5", f.now, "agent_float:T1", "sales:lotto", 70, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 0);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "6", f.now, "agent_float:T1", "sales:lotto", 1, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    /* A wallet through the bet path's status: refused as FUNDS. */
    int64_t p = fx_player(&f, "ada", "AB123456");
    fx_fund(&f, p, 50);
    char acct[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, p), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "7", f.now, acct, "sales:lotto", 51, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(fx_balance(&f, acct), 50);
    /* Accounts without a floor go negative freely. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "8", f.now, "sales:lotto", "prize_expense", 500, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "sales:lotto"), 100 - 500);
    ck_assert_int_eq(fx_balance(&f, "prize_expense"), -500);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(the_money_range_still_holds)
{
    fx f;
    fx_open(&f);
    /* Up to the bound exactly, on both signs, with remembered ids. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "1", f.now, "psp_clearing", "sales:a", TSR_MONEY_MAX - 1, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "2", f.now, "psp_clearing", "sales:a", 1, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "psp_clearing"), TSR_MONEY_MAX);
    ck_assert_int_eq(fx_balance(&f, "sales:a"), TSR_MONEY_MAX);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "3", f.now, "psp_clearing", "sales:a", 1, NULL), TSR_ERR_OVERFLOW);
    /* Only the second leg leaves the range: the first is undone. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "4", f.now, "agent_cash", "sales:a", 1, NULL), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(fx_balance(&f, "agent_cash"), 0);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "5", f.now, "sales:b", "prize_expense", TSR_MONEY_MAX, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "sales:b"), -TSR_MONEY_MAX);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "6", f.now, "sales:b", "agent_cash", 1, NULL), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(fx_balance(&f, "agent_cash"), 0);
    ck_assert_int_eq(fx_balance(&f, "sales:b"), -TSR_MONEY_MAX);
    /* A leg amount past the range (the sum alone would pass). */
    tsr_ledger_leg legs[3] = {{"agent_cash", TSR_MONEY_MAX}, {"sales:c", -2 * TSR_MONEY_MAX},
                              {"tax_withheld", TSR_MONEY_MAX}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "7", f.now, legs, 3, NULL), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(fx_balance(&f, "agent_cash"), 0);
    ck_assert_int_eq(count_of(&f, "SELECT count(*) FROM ledger_tx"), 3);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(two_databases_do_not_share_ids)
{
    fx a, b;
    fx_open(&a);
    fx_open(&b);
    /* Opposite creation orders: each name has the other's id there. */
    const char *n1 = "agent_float:T1", *n2 = "agent_float:T2";
    ck_assert_int_eq(tsr_ledger_transfer(a.db, "f", "1", a.now, "agent_cash", n1, 100, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(a.db, "f", "2", a.now, "agent_cash", n2, 200, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(b.db, "f", "1", b.now, "agent_cash", n2, 1000, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(b.db, "f", "2", b.now, "agent_cash", n1, 2000, NULL), TSR_OK);
    ck_assert_int_eq(account_id(&a, n1), account_id(&b, n2));
    for (int i = 0; i < 10; i++) {
        char ref[16];
        snprintf(ref, sizeof ref, "b%d", i);
        ck_assert_int_eq(tsr_ledger_transfer(a.db, "bet", ref, a.now, n1, "sales:lotto", 1, NULL), TSR_OK);
        ck_assert_int_eq(tsr_ledger_transfer(b.db, "bet", ref, b.now, n1, "sales:lotto", 10, NULL), TSR_OK);
        ck_assert_int_eq(tsr_ledger_transfer(a.db, "bet", ref, a.now, n2, "sales:keno", 2, NULL), TSR_OK);
        ck_assert_int_eq(tsr_ledger_transfer(b.db, "bet", ref, b.now, n2, "sales:keno", 20, NULL), TSR_OK);
    }
    ck_assert_int_eq(fx_balance(&a, n1), 90);
    ck_assert_int_eq(fx_balance(&a, n2), 180);
    ck_assert_int_eq(fx_balance(&b, n1), 1900);
    ck_assert_int_eq(fx_balance(&b, n2), 800);
    fx_ledger_ok(&a);
    fx_ledger_ok(&b);
    fx_close(&a);
    /* A third database, perhaps on the first one's freed connection. */
    fx c;
    fx_open(&c);
    ck_assert_int_eq(tsr_ledger_transfer(c.db, "f", "1", c.now, "agent_cash", n2, 5, NULL), TSR_OK);
    /* n1 is new here: a remembered id of the first database (n1 there has
     * the id n2 has here) must not debit n2. */
    ck_assert_int_eq(tsr_ledger_transfer(c.db, "bet", "2", c.now, n1, "sales:lotto", 1, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(fx_balance(&c, n2), 5);
    ck_assert_int_eq(tsr_ledger_transfer(c.db, "bet", "3", c.now, n2, "sales:lotto", 5, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&c, n2), 0);
    ck_assert_int_eq(fx_balance(&c, "sales:lotto"), 5);
    fx_ledger_ok(&c);
    fx_close(&c);
    fx_ledger_ok(&b);
    fx_close(&b);
}
END_TEST

START_TEST(a_warm_bet_posting_is_five_statements)
{
    fx f;
    fx_open(&f);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "f", "1", f.now, "agent_cash", "agent_float:T1", 100, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "2", f.now, "agent_float:T1", "sales:lotto", 1, NULL), TSR_OK);
    int n = 0;
    sqlite3 *h = tsr_store_conn_db(f.db);
    ck_assert_int_eq(sqlite3_trace_v2(h, SQLITE_TRACE_STMT, on_stmt, &n), SQLITE_OK);
    tsr_sql_sp_covered(true);
    tsr_status st = tsr_ledger_transfer(f.db, "bet", "3", f.now, "agent_float:T1", "sales:lotto", 1, NULL);
    tsr_sql_sp_covered(false);
    ck_assert_int_eq(sqlite3_trace_v2(h, 0, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(st, TSR_OK);
    /* Two guarded UPDATEs, the ledger_tx row, one INSERT per entry (no
     * multi-row INSERT: its statement journal cost more than a statement). */
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 98);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(account_names_are_exact)
{
    char acct[TSR_LEDGER_NAME_SIZE], key[TSR_LEDGER_KEY_MAX + 2], want[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, 1), TSR_OK);
    ck_assert_str_eq(acct, "player:1");
    ck_assert_int_eq(tsr_ledger_player_account(acct, 1234567890), TSR_OK);
    ck_assert_str_eq(acct, "player:1234567890");
    ck_assert_int_eq(tsr_ledger_player_account(acct, INT64_MAX), TSR_OK);
    ck_assert_str_eq(acct, "player:9223372036854775807");
    ck_assert_int_eq(tsr_ledger_player_account(acct, -7), TSR_ERR_ARG);
    ck_assert_str_eq(acct, "");
    ck_assert_int_eq(tsr_ledger_float_account(acct, "T-01.a_b"), TSR_OK);
    ck_assert_str_eq(acct, "agent_float:T-01.a_b");
    ck_assert_int_eq(tsr_ledger_sales_account(acct, "lotto"), TSR_OK);
    ck_assert_str_eq(acct, "sales:lotto");
    /* The longest key fits the buffer with the longest prefix. */
    memset(key, 'k', TSR_LEDGER_KEY_MAX);
    key[TSR_LEDGER_KEY_MAX] = '\0';
    snprintf(want, sizeof want, "agent_float:%s", key);
    ck_assert_int_eq(tsr_ledger_float_account(acct, key), TSR_OK);
    ck_assert_str_eq(acct, want);
    key[TSR_LEDGER_KEY_MAX] = 'k', key[TSR_LEDGER_KEY_MAX + 1] = '\0';
    ck_assert_int_eq(tsr_ledger_float_account(acct, key), TSR_ERR_ARG);
    ck_assert_str_eq(acct, "");
    ck_assert_int_eq(tsr_ledger_sales_account(acct, NULL), TSR_ERR_ARG);
}
END_TEST

/* ---- a long mix against a model ------------------------------------------------ */

#define MIX_SEED UINT64_C(424242)
#define MIX_OPS 3000

typedef struct model_acct {
    const char *name;
    int normal;
    bool floor_zero;
    tsr_cents bal;
} model_acct;

static model_acct book[] = {
    {"psp_clearing", 1, false, 0},  {"prize_expense", 1, false, 0}, {"agent_cash", 1, false, 0},
    {"tax_withheld", -1, false, 0}, {"sales:lotto", -1, false, 0},  {"sales:keno", -1, false, 0},
    {"prize_payable", -1, true, 0}, {"player:1", -1, true, 0},      {"player:2", -1, true, 0},
    {"player:3", -1, true, 0},      {"agent_float:T1", -1, true, 0}, {"agent_float:T2", -1, true, 0},
};
#define BOOK_N (sizeof book / sizeof book[0])

static uint64_t mix_state;

static uint64_t mix_next(uint64_t bound)
{
    mix_state ^= mix_state << 13;
    mix_state ^= mix_state >> 7;
    mix_state ^= mix_state << 17;
    return mix_state % bound;
}

/* What posting legs would do to the model: TSR_OK (applied to next[]) or
 * the refusal the ledger must give. */
static tsr_status model_post(const tsr_ledger_leg *legs, const size_t *idx, size_t n, tsr_cents *next)
{
    for (size_t i = 0; i < BOOK_N; i++)
        next[i] = book[i].bal;
    for (size_t i = 0; i < n; i++) {
        model_acct *a = &book[idx[i]];
        next[idx[i]] += a->normal * legs[i].amount;
        if (a->floor_zero && next[idx[i]] < 0)
            return TSR_ERR_LEDGER_NEGATIVE;
    }
    return TSR_OK;
}

/* One random posting of 2 or 3 legs, sometimes in a savepoint that rolls
 * back, sometimes with the ledger's savepoint suppressed as in a bet. */
static void mix_one(fx *f, int op)
{
    size_t n = mix_next(4) == 0 ? 3 : 2, idx[3];
    tsr_ledger_leg legs[3];
    tsr_cents next[BOOK_N], x = 1 + (tsr_cents)mix_next(5000);
    idx[0] = mix_next(BOOK_N);
    do idx[1] = mix_next(BOOK_N); while (idx[1] == idx[0]);
    do idx[2] = mix_next(BOOK_N); while (idx[2] == idx[0] || idx[2] == idx[1]);
    legs[0] = (tsr_ledger_leg){book[idx[0]].name, x};
    legs[1] = (tsr_ledger_leg){book[idx[1]].name, n == 3 ? -(x / 2 + 1) : -x};
    legs[2] = (tsr_ledger_leg){book[idx[2]].name, -(x - (x / 2 + 1))};
    if (n == 3 && legs[2].amount == 0)
        n = 2, legs[1].amount = -x;
    tsr_status want = model_post(legs, idx, n, next);
    bool job = op % 3 == 0, covered = op % 2 == 0, undo = op % 7 == 0;
    char ref[16];
    snprintf(ref, sizeof ref, "m%d", op);
    if (job)
        ck_assert_int_eq(tsr_store_exec(f->db, "SAVEPOINT job"), TSR_OK);
    tsr_sql_sp_covered(job && covered);
    tsr_status got = tsr_ledger_post(f->db, "mix", ref, f->now, legs, n, NULL);
    tsr_sql_sp_covered(false);
    ck_assert_msg(got == want, "op %d: %s, model says %s", op, tsr_status_name(got), tsr_status_name(want));
    if (job && (undo || got != TSR_OK))
        ck_assert_int_eq(tsr_store_exec(f->db, "ROLLBACK TO job"), TSR_OK);
    if (job)
        ck_assert_int_eq(tsr_store_exec(f->db, "RELEASE job"), TSR_OK);
    if (got == TSR_OK && !(job && undo))
        for (size_t i = 0; i < BOOK_N; i++)
            book[i].bal = next[i];
}

START_TEST(a_mix_of_postings_passes_ledger_check)
{
    fx f;
    fx_open(&f);
    mix_state = MIX_SEED;
    fprintf(stderr, "ledger mix: seed %llu, %d postings\n", (unsigned long long)MIX_SEED, MIX_OPS);
    /* Money in first, so that floors refuse only some postings. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "f", "p", f.now, "psp_clearing", "player:1", 20000, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "f", "t", f.now, "agent_cash", "agent_float:T1", 20000, NULL), TSR_OK);
    book[0].bal = 20000, book[7].bal = 20000, book[2].bal = 20000, book[10].bal = 20000;
    int refused = 0;
    for (int op = 1; op <= MIX_OPS; op++) {
        int64_t before = count_of(&f, "SELECT count(*) FROM ledger_tx");
        mix_one(&f, op);
        refused += count_of(&f, "SELECT count(*) FROM ledger_tx") == before;
    }
    fprintf(stderr, "ledger mix: %d of %d postings left nothing\n", refused, MIX_OPS);
    ck_assert_int_gt(refused, MIX_OPS / 20);
    ck_assert_int_lt(refused, MIX_OPS * 9 / 10);
    for (size_t i = 0; i < BOOK_N; i++)
        ck_assert_msg(fx_balance(&f, book[i].name) == book[i].bal, "%s: %lld, model %lld", book[i].name,
                      (long long)fx_balance(&f, book[i].name), (long long)book[i].bal);
    fx_ledger_ok(&f);
    /* The operator's command on the committed file. */
    ck_assert_int_eq(tsr_store_exec(f.db, "COMMIT"), TSR_OK);
    char tessera[300], out[512];
    tsr_test_bin("tessera", tessera, sizeof tessera);
    int rc = tsr_test_sh_capture(out, sizeof out, "%s ledger-check --db %s/node.db", tessera, f.dir);
    ck_assert_msg(rc == 0, "ledger-check exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "ledger ok"));
    ck_assert_int_eq(tsr_store_exec(f.db, "BEGIN"), TSR_OK);
    fx_close(&f);
}
END_TEST

static Suite *hint_suite(void)
{
    Suite *s = suite_create("ledger_hint");
    TCase *tc = tcase_create("ledger_hint");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_rolled_back_creation_leaves_no_usable_id);
    tcase_add_test(tc, a_refused_floor_changes_nothing);
    tcase_add_test(tc, the_money_range_still_holds);
    tcase_add_test(tc, two_databases_do_not_share_ids);
    tcase_add_test(tc, a_warm_bet_posting_is_five_statements);
    tcase_add_test(tc, account_names_are_exact);
    tcase_add_test(tc, a_mix_of_postings_passes_ledger_check);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(hint_suite()); }
