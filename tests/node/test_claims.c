/* Payouts from central and retail claims: exactly once. */
#include "../../node/src/claims.h"
#include "test_ledger_fixture.h"

START_TEST(payouts_book_once_by_payout_id)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    char acct[TSR_LEDGER_NAME_SIZE];
    ck_assert_int_eq(tsr_ledger_player_account(acct, p), TSR_OK);
    bool applied;
    tsr_node_payout online = {"po-1", "tk-1", p, 1000, 0, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(f.db, &online, f.now, &applied), TSR_OK);
    ck_assert(applied);
    ck_assert_int_eq(fx_balance(&f, acct), 1000);
    ck_assert_int_eq(tsr_payout_apply(f.db, &online, f.now, &applied), TSR_OK);
    ck_assert(!applied);
    ck_assert_int_eq(fx_balance(&f, acct), 1000);
    tsr_node_payout changed = online;
    changed.gross = 2000;
    ck_assert_int_eq(tsr_payout_apply(f.db, &changed, f.now, &applied), TSR_ERR_PAYOUT_CONFLICT);
    tsr_node_payout same_ticket = {"po-2", "tk-1", p, 1000, 0, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(f.db, &same_ticket, f.now, &applied), TSR_ERR_PAYOUT_CONFLICT);
    /* Withholding: net to the wallet, tax to its own account. */
    tsr_node_payout taxed = {"po-3", "tk-3", p, 100000, 24000, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(f.db, &taxed, f.now, &applied), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, acct), 77000);
    ck_assert_int_eq(fx_balance(&f, "tax_withheld"), 24000);
    ck_assert_int_eq(fx_balance(&f, "prize_expense"), 101000);
    tsr_node_payout bad[] = {{"", "tk", p, 1, 0, TSR_NODE_PAYOUT_AUTO}, {"a", "", p, 1, 0, TSR_NODE_PAYOUT_AUTO},
                        {"a", "b", p, 0, 0, TSR_NODE_PAYOUT_AUTO}, {"a", "b", p, 10, 10, TSR_NODE_PAYOUT_AUTO},
                        {"a", "b", p, 10, -1, TSR_NODE_PAYOUT_AUTO}, {"a", "b", -1, 10, 0, TSR_NODE_PAYOUT_AUTO},
                        {"a", "b", p, 10, 0, (tsr_node_payout_class)9}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(tsr_payout_apply(f.db, &bad[i], f.now, &applied), TSR_ERR_ARG);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

START_TEST(a_retail_prize_is_paid_exactly_once)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    bool applied;
    tsr_claim_result r;
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-r", "T1", 1, f.now, &r), TSR_ERR_CLAIM_NO_PRIZE);
    tsr_node_payout retail = {"po-r", "tk-r", 0, 2500, 0, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(f.db, &retail, f.now, &applied), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "prize_payable"), 2500);
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-r", "T 1", 1, f.now, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_claim_pay(f.db, "", "T1", 1, f.now, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-r", "T1", 1, f.now + FX_HOUR, &r), TSR_OK);
    ck_assert_int_eq(r.amount, 2500);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 2500);
    ck_assert_int_eq(fx_balance(&f, "prize_payable"), 0);
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-r", "T2", 2, f.now + FX_DAY, &r), TSR_ERR_CLAIM_PAID);
    ck_assert_int_eq(r.paid_at_ns, f.now + FX_HOUR);
    ck_assert_str_eq(r.paid_terminal, "T1");
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 2500);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T2"), 0);
    tsr_node_payout big = {"po-b", "tk-b", 0, 90000000, 0, TSR_NODE_PAYOUT_CLAIM_CENTRE};
    ck_assert_int_eq(tsr_payout_apply(f.db, &big, f.now, &applied), TSR_OK);
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-b", "T1", 1, f.now, &r), TSR_ERR_CLAIM_CENTRE);
    tsr_node_payout online = {"po-o", "tk-o", p, 10, 0, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(f.db, &online, f.now, &applied), TSR_OK);
    ck_assert_int_eq(tsr_claim_pay(f.db, "tk-o", "T1", 1, f.now, &r), TSR_ERR_CLAIM_ONLINE);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

static Suite *claims_suite(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = tcase_create("claims");
    tcase_add_test(tc, payouts_book_once_by_payout_id);
    tcase_add_test(tc, a_retail_prize_is_paid_exactly_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(claims_suite()); }
