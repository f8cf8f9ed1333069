/* The double-entry ledger: balanced posts, floors, overflow, and
 * tsr_ledger_check finding every kind of damage. */
#include "test_ledger_fixture.h"

START_TEST(transfer_moves_money_and_balances)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    char acct[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, p), TSR_OK);
    int64_t tx = 0;
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "deposit", "d1", f.now, "psp_clearing", acct, 5000, &tx), TSR_OK);
    ck_assert_int_gt(tx, 0);
    ck_assert_int_eq(fx_balance(&f, acct), 5000);
    ck_assert_int_eq(fx_balance(&f, "psp_clearing"), 5000);
    ck_assert_int_eq(fx_balance(&f, "sales:never-used"), 0);
    tsr_ledger_leg legs[3] = {{"prize_expense", 1000}, {acct, -760}, {"tax_withheld", -240}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "payout", "p1", f.now, legs, 3, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, acct), 5760);
    ck_assert_int_eq(fx_balance(&f, "tax_withheld"), 240);
    fx_ledger_ok(&f);
    tsr_ledger_report r;
    ck_assert_int_eq(tsr_ledger_check(f.db, &r), TSR_OK);
    ck_assert_int_eq(r.tx_count, 2);
    ck_assert_int_eq(r.entry_count, 5);
    fx_close(&f);
}
END_TEST

START_TEST(bad_posts_are_refused_and_write_nothing)
{
    fx f;
    fx_open(&f);
    tsr_ledger_leg one[1] = {{"psp_clearing", 1}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, one, 1, NULL), TSR_ERR_ARG);
    tsr_ledger_leg unbalanced[2] = {{"psp_clearing", 10}, {"sales:lotto", -9}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, unbalanced, 2, NULL), TSR_ERR_LEDGER_UNBALANCED);
    tsr_ledger_leg unknown[2] = {{"bank", 10}, {"sales:lotto", -10}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, unknown, 2, NULL), TSR_ERR_ARG);
    tsr_ledger_leg badkey[2] = {{"sales:lot to", 10}, {"psp_clearing", -10}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, badkey, 2, NULL), TSR_ERR_ARG);
    tsr_ledger_leg zero[2] = {{"psp_clearing", 0}, {"sales:lotto", 0}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, zero, 2, NULL), TSR_ERR_ARG);
    tsr_ledger_leg dup[2] = {{"psp_clearing", 5}, {"psp_clearing", -5}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, dup, 2, NULL), TSR_ERR_ARG);
    tsr_ledger_leg many[TSR_LEDGER_LEGS_MAX + 1];
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, many, TSR_LEDGER_LEGS_MAX + 1, NULL), TSR_ERR_ARG);
    tsr_ledger_leg huge[2] = {{"psp_clearing", INT64_MAX}, {"sales:lotto", -INT64_MAX}};
    ck_assert_int_eq(tsr_ledger_post(f.db, "x", "r", f.now, huge, 2, NULL), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "r", f.now, "psp_clearing", "sales:lotto", -5, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_ledger_post(f.db, "", "r", f.now, unbalanced, 2, NULL), TSR_ERR_ARG);
    /* A floor account cannot go negative; nothing of the post remains. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "t1", f.now, "agent_float:T1", "sales:lotto", 100, NULL),
                     TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(fx_balance(&f, "sales:lotto"), 0);
    int64_t n;
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT count(*) FROM ledger_tx", &n), TSR_OK);
    ck_assert_int_eq(n, 0);
    /* A balance pushed past the money range. */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "a", f.now, "psp_clearing", "sales:lotto", TSR_MONEY_MAX, NULL), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "x", "b", f.now, "psp_clearing", "sales:lotto", 1, NULL), TSR_ERR_OVERFLOW);
    char acct[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_ledger_float_account(acct, ""), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_ledger_float_account(acct, "T/1"), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_ledger_sales_account(acct, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), TSR_ERR_ARG);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(check_finds_unbalanced_drift_and_negative)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    fx_fund(&f, p, 700);
    fx_ledger_ok(&f);
    tsr_ledger_report r;
    /* Drift: a balance edited behind the ledger's back. */
    ck_assert_int_eq(tsr_store_exec(f.db, "UPDATE accounts SET balance = balance + 1 WHERE name = 'psp_clearing'"), TSR_OK);
    ck_assert_int_eq(tsr_ledger_check(f.db, &r), TSR_ERR_LEDGER_DRIFT);
    ck_assert_str_eq(r.bad_account, "psp_clearing");
    ck_assert_int_eq(tsr_store_exec(f.db, "UPDATE accounts SET balance = balance - 1 WHERE name = 'psp_clearing'"), TSR_OK);
    /* Negative: entries and balance agree but the wallet is below zero. */
    ck_assert_int_eq(tsr_store_exec(f.db,
        "UPDATE ledger_entries SET amount = -amount; UPDATE accounts SET balance = -balance"), TSR_OK);
    ck_assert_int_eq(tsr_ledger_check(f.db, &r), TSR_ERR_LEDGER_NEGATIVE);
    ck_assert_int_eq(r.bad_balance, -700);
    ck_assert_int_eq(tsr_store_exec(f.db,
        "UPDATE ledger_entries SET amount = -amount; UPDATE accounts SET balance = -balance"), TSR_OK);
    fx_ledger_ok(&f);
    /* Unbalanced: one leg altered (and its balance too, so only the sum is wrong). */
    ck_assert_int_eq(tsr_store_exec(f.db,
        "UPDATE ledger_entries SET amount = amount + 5 WHERE account_id = (SELECT id FROM accounts WHERE name = 'psp_clearing');"
        "UPDATE accounts SET balance = balance + 5 WHERE name = 'psp_clearing'"), TSR_OK);
    ck_assert_int_eq(tsr_ledger_check(f.db, &r), TSR_ERR_LEDGER_UNBALANCED);
    ck_assert_int_gt(r.bad_tx_id, 0);
    fx_close(&f);
}
END_TEST

START_TEST(check_finds_a_lone_entry)
{
    fx f;
    fx_open(&f);
    ck_assert_int_eq(tsr_store_exec(f.db,
        "INSERT INTO accounts(name, normal, floor_zero, balance) VALUES ('psp_clearing', 1, 0, 0);"
        "INSERT INTO ledger_tx(kind, ref, at_ns) VALUES ('x', 'y', 0)"), TSR_OK);
    tsr_ledger_report r;
    ck_assert_int_eq(tsr_ledger_check(f.db, &r), TSR_ERR_LEDGER_UNBALANCED);
    fx_close(&f);
}
END_TEST

static Suite *ledger_suite(void)
{
    Suite *s = suite_create("ledger");
    TCase *tc = tcase_create("ledger");
    tcase_add_test(tc, transfer_moves_money_and_balances);
    tcase_add_test(tc, bad_posts_are_refused_and_write_nothing);
    tcase_add_test(tc, check_finds_unbalanced_drift_and_negative);
    tcase_add_test(tc, check_finds_a_lone_entry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(ledger_suite()); }
