/*
 * The shop's money: `balance` (the terminal's float, GET /v1/wallet with
 * the agent's session) and `settlement` (the end of day, GET
 * /v1/agents/settlement). Both are the node's figures, summed from its
 * ledger; the terminal keeps no counter of its own that could disagree.
 */
#include <string.h>

#include "tessera/log.h"
#include "term_int.h"

/* Float movements `balance` lists (the node sends at most 50). */
#define BALANCE_HISTORY_SHOWN 10
/* "YYYY-MM-DD" */
#define DAY_LEN 10

static tsr_cents cents_of(const json_t *r, const char *key) { return json_integer_value(json_object_get(r, key)); }

static const char *money(tsr_cents c, char buf[TSR_MONEY_STR_MAX])
{
    tsr_money_format(c, buf, TSR_MONEY_STR_MAX);
    return buf;
}

/* ---- balance ------------------------------------------------------------------------------- */

static void print_balance(tsr_term *t, const json_t *r)
{
    char m[TSR_MONEY_STR_MAX], when[40];
    FILE *o = term_out(t);
    fprintf(o, "float of terminal %s (agent %lld): %s\n", json_string_value(json_object_get(r, "terminal")),
            (long long)json_integer_value(json_object_get(r, "agent_id")), money(cents_of(r, "float"), m));
    size_t i;
    const json_t *h;
    json_array_foreach(json_object_get(r, "history"), i, h) {
        if (i == BALANCE_HISTORY_SHOWN)
            break;
        tsr_time_format(json_integer_value(json_object_get(h, "at")), when, sizeof when);
        fprintf(o, "  %s  %-12s %-34.34s %12s\n", when, json_string_value(json_object_get(h, "kind")),
                json_string_value(json_object_get(h, "ref")) ? json_string_value(json_object_get(h, "ref")) : "",
                money(cents_of(h, "amount"), m));
    }
}

tsr_status term_cmd_balance(tsr_term *t, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return term_fail(t, TSR_ERR_USAGE, "%s", "usage: balance");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_GET, "/v1/wallet", NULL, NULL, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_balance);
    return st;
}

/* ---- settlement ------------------------------------------------------------------------------ */

static void print_line(FILE *o, const char *label, const json_t *r, const char *key, const char *count,
                       char sign)
{
    char m[TSR_MONEY_STR_MAX], n[24] = "";
    if (count)
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(r, count)));
    fprintf(o, "  %-16s %6s  %c %14s\n", label, n, sign, money(cents_of(r, key), m));
}

static void print_settlement(tsr_term *t, const json_t *r)
{
    FILE *o = term_out(t);
    char m[TSR_MONEY_STR_MAX];
    tsr_cents due = cents_of(r, "net_cash_due");
    fprintf(o, "END OF DAY  terminal %s  %s (UTC)\n", json_string_value(json_object_get(r, "terminal")),
            json_string_value(json_object_get(r, "day")));
    fprintf(o, "  %-16s %6s    %14s\n", "float at open", "", money(cents_of(r, "float_open"), m));
    print_line(o, "sales", r, "sales", "sales_count", '-');
    print_line(o, "cancels", r, "cancels", "cancels_count", '+');
    print_line(o, "payouts", r, "payouts", "payouts_count", '+');
    print_line(o, "cash in", r, "cash_in", json_object_get(r, "cash_in_count") ? "cash_in_count" : NULL, '+');
    print_line(o, "cash out", r, "cash_out", json_object_get(r, "cash_out_count") ? "cash_out_count" : NULL, '-');
    print_line(o, "other", r, "other", NULL, '+');
    fprintf(o, "  %-16s %6s    %14s\n", "float at close", "", money(cents_of(r, "float_close"), m));
    fprintf(o, "  %-16s %6s    %14s  (sales - cancels - payouts)\n", "net takings", "",
            money(cents_of(r, "net_takings"), m));
    fprintf(o, "  %-16s %6s    %14s  (%s)\n", "NET CASH DUE", "", money(due, m),
            due > 0 ? "the shop pays the operator" : due < 0 ? "the operator owes the shop" : "nothing to settle");
}

/* The day goes into the query string: only the shape YYYY-MM-DD is sent
 * (the node checks the calendar). */
static bool day_shaped(const char *s)
{
    if (strlen(s) != DAY_LEN)
        return false;
    for (int i = 0; i < DAY_LEN; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

tsr_status term_cmd_settlement(tsr_term *t, int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && !day_shaped(argv[1])))
        return term_fail(t, TSR_ERR_USAGE, "%s", "usage: settlement [YYYY-MM-DD] (a UTC day; default today)");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    char extra[32] = "";
    if (argc == 2)
        snprintf(extra, sizeof extra, "day=%s", argv[1]);
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_GET, "/v1/agents/settlement", extra, NULL, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_settlement);
    return st;
}
