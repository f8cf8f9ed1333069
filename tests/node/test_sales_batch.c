/* Retail sales posted per group: counting against the float with what is
 * pending, refusals that write nothing, marks, one posting per terminal
 * split by games, and ledger-check proving every posting against the
 * tickets it sums (and catching a ticket or an entry that disagrees). */
#include "../../node/src/sales_batch.h"
#include "tessera/catalog.h"
#include "test_ledger_fixture.h"

static void top_up(fx *f, const char *terminal, tsr_cents amount)
{
    char acct[TSR_LEDGER_NAME_SIZE], ref[32];
    static int n;
    snprintf(ref, sizeof ref, "topup-%d", ++n);
    ck_assert_int_eq(tsr_ledger_float_account(acct, terminal), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f->db, "float_topup", ref, f->now, "agent_cash", acct,
                                         amount, NULL), TSR_OK);
}

/* Sells one ticket: counted in the batch and its row written, as apply_bet does. */
static tsr_status sell(fx *f, tsr_sales_batch *b, int64_t seq, const char *terminal,
                       const char *game, tsr_cents stake)
{
    tsr_status s = tsr_sales_batch_add(b, f->db, terminal, game, stake, seq);
    if (s == TSR_OK)
        fx_retail_ticket(f, seq, terminal, game, stake);
    return s;
}

static int64_t count(fx *f, const char *sql)
{
    int64_t n = -1;
    ck_assert_int_eq(tsr_store_query_int(f->db, sql, &n), TSR_OK);
    return n;
}

START_TEST(sales_are_checked_against_the_float_with_what_is_pending)
{
    fx f;
    fx_open(&f);
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    sqlite3 *db = tsr_store_conn_db(f.db);
    sqlite3_int64 before = sqlite3_total_changes64(db);
    /* a float never topped up is empty; bad names and stakes are refused */
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 100, 1), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T 1", "pick3", 100, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick 3", 100, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 0, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", -5, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", TSR_MONEY_MAX + 1, 1), TSR_ERR_ARG);
    ck_assert_int_eq(sqlite3_total_changes64(db), before); /* counting writes nothing */
    tsr_sales_batch_revert(b, 0);
    top_up(&f, "T1", 250);
    ck_assert_int_eq(sell(&f, b, 1, "T1", "pick3", 100), TSR_OK);
    ck_assert_int_eq(sell(&f, b, 2, "T1", "pick3", 100), TSR_OK);
    before = sqlite3_total_changes64(db);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 100, 3), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(sqlite3_total_changes64(db), before);
    /* a whole multi-draw sale is checked before its first ticket */
    ck_assert_int_eq(tsr_sales_batch_covers(b, f.db, "T1", 51), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(tsr_sales_batch_covers(b, f.db, "T1", 50), TSR_OK);
    ck_assert_int_eq(tsr_sales_batch_covers(b, f.db, "T1", 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sales_batch_covers(b, f.db, "T 1", 5), TSR_ERR_ARG);
    ck_assert_int_eq(sqlite3_total_changes64(db), before);
    ck_assert_uint_eq(tsr_sales_batch_pending(b), 2); /* covers counts nothing */
    ck_assert_int_eq(sell(&f, b, 3, "T1", "pick3", 50), TSR_OK); /* exactly what is left */
    ck_assert_uint_eq(tsr_sales_batch_pending(b), 3);
    /* nothing posted yet: the float still shows its balance */
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 250);
    ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
    ck_assert_uint_eq(tsr_sales_batch_pending(b), 0);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 0);
    ck_assert_int_eq(fx_balance(&f, "sales:pick3"), 250);
    ck_assert_int_eq(count(&f, "SELECT count(*) FROM ledger_tx WHERE kind = 'sales' "
                               "AND ref = 'seq:1-3'"), 1);
    fx_ledger_ok(&f);
    /* after a flush the balance is read again: the float is empty now */
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 1, 4), TSR_ERR_FLOAT_FUNDS);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

/* A batch tells apart every game a catalogue can hold; a sale of one more
 * game (only a bug sells outside the catalogue) is an internal error, not
 * the client's, and counts nothing. */
START_TEST(a_batch_holds_as_many_games_as_a_catalogue)
{
    fx f;
    fx_open(&f);
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    top_up(&f, "T1", 1000);
    char game[16];
    for (int g = 0; g < TSR_CATALOG_GAMES_MAX; g++) {
        snprintf(game, sizeof game, "game%d", g);
        ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", game, 1, g + 1), TSR_OK);
    }
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "one-more", 1, 100), TSR_ERR_INTERNAL);
    ck_assert_uint_eq(tsr_sales_batch_pending(b), TSR_CATALOG_GAMES_MAX);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

/* A mark forgets what came after it (a bet that failed after counting). */
START_TEST(a_revert_forgets_the_sales_after_the_mark)
{
    fx f;
    fx_open(&f);
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    top_up(&f, "T1", 300);
    ck_assert_int_eq(sell(&f, b, 1, "T1", "pick3", 100), TSR_OK);
    size_t m = tsr_sales_batch_mark(b);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 200, 2), TSR_OK); /* no row */
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 1, 3), TSR_ERR_FLOAT_FUNDS);
    tsr_sales_batch_revert(b, m);
    ck_assert_uint_eq(tsr_sales_batch_pending(b), 1);
    ck_assert_int_eq(sell(&f, b, 2, "T1", "pick3", 150), TSR_OK); /* the room came back */
    ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 50);
    fx_ledger_ok(&f);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

/* Many terminals (past the first table size) and more games than one
 * transaction takes: one posting per terminal and chunk of games, all
 * balanced and all matching their tickets. */
START_TEST(postings_are_per_terminal_and_split_by_games)
{
    enum { TERMS = 150, GAMES = 9 };
    fx f;
    fx_open(&f);
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    char term[16], game[16];
    for (int t = 0; t < TERMS; t++) {
        snprintf(term, sizeof term, "T%d", t);
        top_up(&f, term, 100000);
    }
    int64_t seq = 0;
    tsr_cents total = 0;
    for (int round = 0; round < 2; round++)
        for (int t = 0; t < TERMS; t++)
            for (int g = 0; g < (t == 0 ? GAMES : 1); g++) {
                snprintf(term, sizeof term, "T%d", t);
                snprintf(game, sizeof game, "g%d", g);
                ck_assert_int_eq(sell(&f, b, ++seq, term, game, 10 + g), TSR_OK);
                total += 10 + g;
            }
    ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
    /* T0 sold 9 games: two postings (7 games, then 2); the others one */
    ck_assert_int_eq(count(&f, "SELECT count(*) FROM ledger_tx WHERE kind = 'sales'"), TERMS + 1);
    ck_assert_int_eq(count(&f, "SELECT count(*) FROM ledger_entries e JOIN accounts a "
                               "ON a.id = e.account_id WHERE a.name = 'agent_float:T0' "
                               "AND e.tx_id IN (SELECT id FROM ledger_tx WHERE kind = 'sales')"), 2);
    ck_assert_int_eq(count(&f, "SELECT -sum(balance) + 0 FROM accounts WHERE name LIKE 'sales:%'") ,
                     -total);
    fx_ledger_ok(&f);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

/* ledger-check proves each posting against its tickets: a ticket whose
 * stake changed, one that was removed, or a posting altered with its
 * balances (so the rest of the ledger still agrees) is found. */
START_TEST(ledger_check_finds_a_posting_that_disagrees_with_its_tickets)
{
    const char *tamper[] = {
        "UPDATE tickets SET stake_cents = stake_cents + 1 WHERE seq = 2",
        "DELETE FROM tickets WHERE seq = 3",
        "UPDATE tickets SET game = 'keno' WHERE seq = 1",
        "UPDATE ledger_tx SET ref = 'seq:1-2' WHERE kind = 'sales'",
        "UPDATE ledger_tx SET ref = 'nonsense' WHERE kind = 'sales'",
        /* the same range written loosely: the ref format is strict */
        "UPDATE ledger_tx SET ref = 'seq:1-3x' WHERE kind = 'sales'",
        "UPDATE ledger_tx SET ref = 'seq: +1-3' WHERE kind = 'sales'",
        "UPDATE ledger_tx SET ref = 'seq:01-3-' WHERE kind = 'sales'",
        "UPDATE ledger_tx SET ref = 'seq:3-1' WHERE kind = 'sales'",
    };
    for (size_t i = 0; i < sizeof tamper / sizeof tamper[0]; i++) {
        fx f;
        fx_open(&f);
        tsr_sales_batch *b;
        ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
        top_up(&f, "T1", 1000);
        for (int64_t s = 1; s <= 3; s++)
            ck_assert_int_eq(sell(&f, b, s, "T1", "pick3", 100), TSR_OK);
        ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
        fx_ledger_ok(&f);
        ck_assert_int_eq(tsr_store_exec(f.db, tamper[i]), TSR_OK);
        tsr_ledger_report r;
        ck_assert_msg(tsr_ledger_check(f.db, &r) == TSR_ERR_LEDGER_UNBALANCED, "not found: %s",
                      tamper[i]);
        tsr_sales_batch_free(b);
        fx_close(&f);
    }
}
END_TEST

/* The tickets a float's postings of a span of ledger transactions cover
 * (the settlement's count): none, all three, and a posting whose ref is not
 * a range refused rather than counted as nothing. */
START_TEST(the_tickets_of_a_float_s_postings_are_counted_from_their_ranges)
{
    fx f;
    fx_open(&f);
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    top_up(&f, "T1", 1000);
    int64_t acct = count(&f, "SELECT id FROM accounts WHERE name = 'agent_float:T1'"), n = -1;
    ck_assert_int_eq(tsr_sales_batch_tickets(f.db, "T1", acct, 0, INT64_MAX, &n), TSR_OK);
    ck_assert_int_eq(n, 0);
    for (int64_t q = 1; q <= 3; q++)
        ck_assert_int_eq(sell(&f, b, q, "T1", "pick3", 100), TSR_OK);
    ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
    fx_retail_ticket(&f, 4, "T2", "pick3", 100); /* another terminal's: not counted */
    ck_assert_int_eq(tsr_sales_batch_tickets(f.db, "T1", acct, 0, INT64_MAX, &n), TSR_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(tsr_store_exec(f.db, "UPDATE ledger_tx SET ref = 'seq:1-3 ' WHERE kind = 'sales'"),
                     TSR_OK);
    ck_assert_int_eq(tsr_sales_batch_tickets(f.db, "T1", acct, 0, INT64_MAX, &n),
                     TSR_ERR_LEDGER_UNBALANCED);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

static Suite *sales_batch_suite(void)
{
    Suite *s = suite_create("sales_batch");
    TCase *t = tcase_create("sales");
    tcase_add_test(t, sales_are_checked_against_the_float_with_what_is_pending);
    tcase_add_test(t, a_batch_holds_as_many_games_as_a_catalogue);
    tcase_add_test(t, a_revert_forgets_the_sales_after_the_mark);
    tcase_add_test(t, postings_are_per_terminal_and_split_by_games);
    tcase_add_test(t, ledger_check_finds_a_posting_that_disagrees_with_its_tickets);
    tcase_add_test(t, the_tickets_of_a_float_s_postings_are_counted_from_their_ranges);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(sales_batch_suite()); }
