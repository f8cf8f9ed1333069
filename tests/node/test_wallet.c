/* The wallet: the bet path's debit with its refusals in order, refunds
 * exactly once, deposits and withdrawals requests, the player's view. */
#include "../../node/src/exclusions.h"
#include "../../node/src/ledger_sql.h"
#include "../../node/src/limits.h"
#include "../../node/src/wallet.h"
#include "../../node/src/sales_batch.h"
#include "test_ledger_fixture.h"

START_TEST(debit_refuses_in_the_documented_order)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    tsr_bettor who = {p, NULL};
    /* Funds last: with everything else fine, an empty wallet says FUNDS. */
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 200, 0, "t1", f.now), TSR_ERR_FUNDS);
    fx_fund(&f, p, 1000);
    tsr_limit_view v;
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_STAKE_DAY, 300, f.now, &v), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 200, 0, "t1", f.now), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 200, 0, "t2", f.now), TSR_ERR_LIMIT_EXCEEDED);
    int64_t end;
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_COOL_OFF, 24, f.now, &end), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 50, 0, "t2", f.now), TSR_ERR_COOL_OFF);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 1, f.now, &end), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 50, 0, "t2", f.now), TSR_ERR_SELF_EXCLUDED);
    ck_assert_int_eq(tsr_players_set_kyc(f.db, p, TSR_KYC_PENDING, NULL), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 50, 0, "t2", f.now), TSR_ERR_KYC_PENDING);
    ck_assert_int_eq(tsr_players_set_kyc(f.db, p, TSR_KYC_REJECTED, NULL), TSR_OK);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 50, 0, "t2", f.now), TSR_ERR_KYC_REJECTED);
    tsr_bettor ghost = {4242, NULL};
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &ghost, "lotto", 50, 0, "t3", f.now), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 0, 0, "t3", f.now), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lot to", 5, 0, "t3", f.now), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_wallet_debit_for_bet(&f.acc, f.db, &who, "lotto", 5, 0, "", f.now), TSR_ERR_ARG);
    /* Only the first bet moved money; refusals left nothing (no usage either). */
    char acct[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, p), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, acct), 800);
    ck_assert_int_eq(fx_balance(&f, "sales:lotto"), 200);
    int64_t used;
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT sum(amount) FROM limit_usage", &used), TSR_OK);
    ck_assert_int_eq(used, 200);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

/* Runs a debit as the bet path does (no savepoint of the ledger's own:
 * the writer's run covers it) and says whether it changed any row. */
static tsr_status debit_covered(fx *f, const tsr_bettor *who, tsr_cents stake, tsr_cents after,
                                const char *ref, bool *wrote)
{
    sqlite3 *db = tsr_store_conn_db(f->db);
    sqlite3_int64 before = sqlite3_total_changes64(db);
    tsr_sql_sp_covered(true);
    tsr_status s = tsr_wallet_debit_for_bet(&f->acc, f->db, who, "lotto", stake, after, ref, f->now);
    tsr_sql_sp_covered(false);
    *wrote = sqlite3_total_changes64(db) != before;
    return s;
}

/* Every refusal of the bet debit comes before its first write, so the
 * writer can run bets without a savepoint each: a refused bet leaves no
 * row behind, not even an empty account or a usage count. */
START_TEST(a_refused_debit_writes_nothing)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    tsr_bettor who = {p, NULL}, shop = {0, "T9"};
    bool wrote;
    int64_t accounts0, accounts1;
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT count(*) FROM accounts", &accounts0), TSR_OK);
    ck_assert_int_eq(debit_covered(&f, &who, 200, 0, "n1", &wrote), TSR_ERR_FUNDS); /* no account */
    ck_assert(!wrote);
    /* retail sales are counted in the sales batch, never debited here */
    ck_assert_int_eq(debit_covered(&f, &shop, 200, 0, "n2", &wrote), TSR_ERR_ARG);
    ck_assert(!wrote);
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT count(*) FROM accounts", &accounts1), TSR_OK);
    ck_assert_int_eq(accounts1, accounts0);
    fx_fund(&f, p, 300);
    ck_assert_int_eq(debit_covered(&f, &who, 400, 0, "n3", &wrote), TSR_ERR_FUNDS); /* short */
    ck_assert(!wrote);
    /* a two-draw bet of 2 x 200: its first ticket is covered alone, the
     * bet is not, so it is refused at the first ticket */
    ck_assert_int_eq(debit_covered(&f, &who, 200, 200, "n3", &wrote), TSR_ERR_FUNDS);
    ck_assert(!wrote);
    ck_assert_int_eq(debit_covered(&f, &who, 200, -1, "n3", &wrote), TSR_ERR_ARG);
    tsr_limit_view v;
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_STAKE_DAY, 250, f.now, &v), TSR_OK);
    ck_assert_int_eq(debit_covered(&f, &who, 100, 200, "n4", &wrote), TSR_ERR_LIMIT_EXCEEDED);
    ck_assert(!wrote);
    ck_assert_int_eq(debit_covered(&f, &who, 100, 100, "n4", &wrote), TSR_OK); /* 200 of 250 */
    ck_assert(wrote);
    ck_assert_int_eq(debit_covered(&f, &who, 100, 0, "n5", &wrote), TSR_OK); /* its second */
    ck_assert_int_eq(debit_covered(&f, &who, 100, 0, "n6", &wrote), TSR_ERR_LIMIT_EXCEEDED);
    ck_assert(!wrote);
    int64_t used;
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT sum(amount) FROM limit_usage", &used), TSR_OK);
    ck_assert_int_eq(used, 200);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

/* A retail ticket's refund: its stake is the ticket row's (its sale was
 * posted in its group's "sales" transaction), only for the terminal that
 * sold it and that game, exactly once; and a ticket of the per-ticket
 * "bet" postings of older databases is refunded from its posting. */
START_TEST(retail_sales_consume_the_float_and_refunds_happen_once)
{
    fx f;
    fx_open(&f);
    tsr_bettor shop = {0, "T1"};
    tsr_sales_batch *b;
    ck_assert_int_eq(tsr_sales_batch_new(&b), TSR_OK);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 100, 1), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "float_topup", "c1", f.now, "agent_cash", "agent_float:T1", 150, NULL), TSR_OK);
    tsr_sales_batch_revert(b, 0); /* as the writer's flush before a top-up job: balances read anew */
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 100, 1), TSR_OK);
    fx_retail_ticket(&f, 1, "T1", "pick3", 100);
    ck_assert_int_eq(tsr_sales_batch_add(b, f.db, "T1", "pick3", 100, 2), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(tsr_sales_batch_flush(b, f.db, f.now), TSR_OK);
    char r1[33], r9[33];
    fx_ticket_hex(1, r1);
    fx_ticket_hex(9, r9);
    bool applied;
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 99, r1, f.now, &applied), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 100, r9, f.now, &applied), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "keno", 100, r1, f.now, &applied), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 100, "not-hex", f.now, &applied), TSR_ERR_NOT_FOUND);
    /* another terminal cannot refund this one's ticket */
    tsr_bettor other = {0, "T2"};
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &other, "pick3", 100, r1, f.now, &applied), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &other, "pick3", 100, "", f.now, &applied), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 100, r1, f.now, &applied), TSR_OK);
    ck_assert(applied);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 100, r1, f.now, &applied), TSR_OK);
    ck_assert(!applied);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 150);
    ck_assert_int_eq(fx_balance(&f, "sales:pick3"), 0);
    /* an older database's per-ticket posting */
    ck_assert_int_eq(tsr_ledger_transfer(f.db, "bet", "old-1", f.now, "agent_float:T1", "sales:pick3", 50, NULL), TSR_OK);
    ck_assert_int_eq(tsr_wallet_refund_bet(f.db, &shop, "pick3", 50, "old-1", f.now, &applied), TSR_OK);
    ck_assert(applied);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 150);
    tsr_sales_batch_free(b);
    fx_close(&f);
}
END_TEST

START_TEST(deposits_and_withdrawals_are_requested)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456"), d, w;
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 0, "sandbox", f.now, &d), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, TSR_MONEY_MAX + 1, "sandbox", f.now, &d), TSR_ERR_RANGE);
    tsr_limit_view v;
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_DEPOSIT_WEEK, 5000, f.now, &v), TSR_OK);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 4000, "sandbox", f.now, &d), TSR_OK);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 2000, "sandbox", f.now + FX_DAY, &d), TSR_ERR_LIMIT_EXCEEDED);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 2000, "sandbox", f.now + 7 * FX_DAY, &d), TSR_OK);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 100, "sandbox", f.now, &w), TSR_ERR_FUNDS);
    fx_fund(&f, p, 300);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 0, "sandbox", f.now, &w), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 100, "sandbox", f.now, &w), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "withdrawals_pending"), 100);
    json_t *view;
    ck_assert_int_eq(tsr_wallet_view(f.db, p, &view), TSR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(view, "balance")), 200);
    ck_assert_int_eq(json_integer_value(json_object_get(view, "pending_withdrawals")), 100);
    ck_assert_str_eq(json_string_value(json_object_get(view, "kyc")), "verified");
    json_t *h = json_object_get(view, "history");
    ck_assert_int_eq(json_array_size(h), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "kind")), "withdrawal");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(h, 0), "amount")), -100);
    json_decref(view);
    ck_assert_int_eq(tsr_wallet_view(f.db, 4242, &view), TSR_ERR_NOT_FOUND);
    /* Self-excluded: no deposit, but the money can always leave. */
    int64_t end;
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 30, f.now, &end), TSR_OK);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 10, "sandbox", f.now, &d), TSR_ERR_SELF_EXCLUDED);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 200, "sandbox", f.now, &w), TSR_OK);
    ck_assert_int_eq(tsr_players_set_kyc(f.db, p, TSR_KYC_PENDING, NULL), TSR_OK);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 1, "sandbox", f.now, &w), TSR_ERR_KYC_PENDING);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(limits_lower_at_once_and_raise_after_the_cooling_period)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    int64_t delay = f.cfg.limit_raise_delay_s * TSR_NS_PER_S;
    tsr_limit_view v, all[TSR_LIMIT_KINDS];
    ck_assert_int_eq(tsr_limits_get(f.db, p, f.now, all), TSR_OK);
    for (int k = 0; k < TSR_LIMIT_KINDS; k++)
        ck_assert_int_eq(all[k].amount, TSR_LIMIT_NONE);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_STAKE_WEEK, 1000, f.now, &v), TSR_OK);
    ck_assert_int_eq(v.amount, 1000);
    ck_assert(!v.pending);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_STAKE_WEEK, 5000, f.now, &v), TSR_OK);
    ck_assert_int_eq(v.amount, 1000);
    ck_assert(v.pending);
    ck_assert_int_eq(v.pending_amount, 5000);
    ck_assert_int_eq(v.pending_at_ns, f.now + delay);
    ck_assert_int_eq(tsr_limits_use(f.db, p, false, 1001, f.now), TSR_ERR_LIMIT_EXCEEDED);
    ck_assert_int_eq(tsr_limits_get(f.db, p, f.now + delay, all), TSR_OK);
    ck_assert_int_eq(all[TSR_LIMIT_STAKE_WEEK].amount, 5000);
    ck_assert_int_eq(tsr_limits_use(f.db, p, false, 4000, f.now + delay), TSR_OK);
    ck_assert_int_eq(tsr_limits_use(f.db, p, false, 1001, f.now + delay), TSR_ERR_LIMIT_EXCEEDED);
    /* A week later the first day's usage has rolled out of the window. */
    ck_assert_int_eq(tsr_limits_use(f.db, p, false, 5000, f.now + delay + 7 * FX_DAY), TSR_OK);
    /* A lowering cancels a waiting raise; removal is a raise. */
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_DEPOSIT_DAY, 100, f.now, &v), TSR_OK);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_DEPOSIT_DAY, TSR_LIMIT_NONE, f.now, &v), TSR_OK);
    ck_assert(v.pending);
    ck_assert_int_eq(v.amount, 100);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_DEPOSIT_DAY, 50, f.now, &v), TSR_OK);
    ck_assert(!v.pending);
    ck_assert_int_eq(v.amount, 50);
    ck_assert_int_eq(tsr_limits_get(f.db, p, f.now + 2 * delay, all), TSR_OK);
    ck_assert_int_eq(all[TSR_LIMIT_DEPOSIT_DAY].amount, 50);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_DEPOSIT_DAY, -5, f.now, &v), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_KINDS, 5, f.now, &v), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_limits_use(f.db, p, true, 0, f.now), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_limits_release(f.db, p, true, -1, f.now), TSR_ERR_RANGE);
    ck_assert_str_eq(tsr_limit_kind_name(TSR_LIMIT_DEPOSIT_WEEK), "deposit_week");
    /* A daily limit of zero stops staking at once. */
    ck_assert_int_eq(tsr_limits_set(&f.acc, f.db, p, TSR_LIMIT_STAKE_DAY, 0, f.now, &v), TSR_OK);
    ck_assert_int_eq(tsr_limits_use(f.db, p, false, 1, f.now), TSR_ERR_LIMIT_EXCEEDED);
    fx_close(&f);
}
END_TEST

START_TEST(exclusions_cannot_be_shortened)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456"), end, until = 0;
    ck_assert_int_eq(tsr_exclusions_check(f.db, p, f.now, &until), TSR_OK);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_COOL_OFF, 1, f.now, &end), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 0, f.now, &end), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 100000, f.now, &end), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 180, f.now, &end), TSR_OK);
    ck_assert_int_eq(end, f.now + 180 * FX_DAY);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 30, f.now, &end), TSR_ERR_EXCLUSION_SHORTER);
    ck_assert_int_eq(tsr_exclusions_add(&f.acc, f.db, p, TSR_EXCL_SELF, 365, f.now, &end), TSR_OK);
    ck_assert_int_eq(tsr_exclusions_check(f.db, p, f.now + 200 * FX_DAY, &until), TSR_ERR_SELF_EXCLUDED);
    ck_assert_int_eq(until, f.now + 365 * FX_DAY);
    ck_assert_int_eq(tsr_exclusions_check(f.db, p, f.now + 365 * FX_DAY, &until), TSR_OK);
    ck_assert_str_eq(tsr_exclusion_kind_name(TSR_EXCL_COOL_OFF), "cool_off");
    fx_close(&f);
}
END_TEST

static Suite *wallet_suite(void)
{
    Suite *s = suite_create("wallet");
    TCase *tc = tcase_create("wallet");
    tcase_add_test(tc, debit_refuses_in_the_documented_order);
    tcase_add_test(tc, a_refused_debit_writes_nothing);
    tcase_add_test(tc, retail_sales_consume_the_float_and_refunds_happen_once);
    tcase_add_test(tc, deposits_and_withdrawals_are_requested);
    tcase_add_test(tc, limits_lower_at_once_and_raise_after_the_cooling_period);
    tcase_add_test(tc, exclusions_cannot_be_shortened);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(wallet_suite()); }
