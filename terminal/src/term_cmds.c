/* The agent terminal's session, catalogue and ticket commands (see terminal.h). */
#include <stdlib.h>
#include <string.h>

#include "term_int.h"

#define TICKET_HEX_LEN 32

static tsr_status usage(tsr_term *t, const char *u) { return term_fail(t, TSR_ERR_USAGE, "usage: %s", u); }

tsr_status term_simple(tsr_term *t, tsr_method m, const char *base, const char *extra,
                       json_t *body, json_t **res)
{
    char path[TERM_PATH_MAX];
    term_path(t, base, extra, path, sizeof path);
    tsr_reply rep;
    tsr_status st = term_call(t, m, path, body, &rep);
    json_decref(body);
    if (st == TSR_OK && rep.status != TSR_OK)
        st = term_node_error(t, &rep);
    if (st == TSR_OK)
        *res = json_incref(rep.body);
    tsr_reply_clear(&rep);
    return st;
}

bool term_need_login(tsr_term *t)
{
    if (t->session[0])
        return false;
    term_fail(t, TSR_ERR_UNAUTHENTICATED, "%s", "no agent is logged in (login AGENT PIN)");
    return true;
}

/* ---- session ---------------------------------------------------------------------------- */

static void print_login(tsr_term *t, const json_t *r)
{
    (void)r;
    fprintf(term_out(t), "agent %s logged in on terminal %s\n", t->agent, t->terminal_id);
}

tsr_status term_cmd_login(tsr_term *t, int argc, char **argv)
{
    if (argc != 3)
        return usage(t, "login AGENT PIN");
    t->session[0] = '\0'; /* a login replaces any old session */
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_POST, "/v1/sessions", NULL,
                           json_pack("{s:s,s:s}", "agent", argv[1], "pin", argv[2]), &res);
    const char *tok = res ? json_string_value(json_object_get(res, "session")) : NULL;
    if (st == TSR_OK && (!tok || strlen(tok) >= sizeof t->session))
        st = term_fail(t, TSR_ERR_PROTO, "%s", "the node's login answer has no session");
    if (st == TSR_OK) {
        snprintf(t->session, sizeof t->session, "%s", tok);
        snprintf(t->agent, sizeof t->agent, "%s", argv[1]);
        if (term_state_save(t) != TSR_OK)
            st = term_fail(t, TSR_ERR_IO, "cannot write the state file %s", t->state_path);
    }
    if (st == TSR_OK) {
        json_object_del(res, "session"); /* the token stays in the 0600 state file only */
        term_ok(t, res, print_login);
    } else {
        json_decref(res);
    }
    return st;
}

tsr_status term_cmd_logout(tsr_term *t, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage(t, "logout");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_DELETE, "/v1/sessions", NULL, NULL, &res);
    /* forget the token locally whatever the node said: it is no use now */
    t->session[0] = t->agent[0] = '\0';
    if (term_state_save(t) != TSR_OK && st == TSR_OK)
        st = term_fail(t, TSR_ERR_IO, "cannot write the state file %s", t->state_path);
    if (st == TSR_OK)
        term_ok(t, res, NULL);
    if (st == TSR_OK && !t->o.json)
        fprintf(term_out(t), "logged out\n");
    return st;
}

/* ---- games and draws --------------------------------------------------------------------- */

const json_t *term_games(tsr_term *t)
{
    if (t->games)
        return t->games;
    json_t *res = NULL;
    if (term_simple(t, TSR_METHOD_GET, "/v1/games", NULL, NULL, &res) == TSR_OK)
        t->games = res;
    return t->games;
}

static void print_games(tsr_term *t, const json_t *r)
{
    size_t i, k;
    const json_t *g, *ty;
    json_array_foreach(json_object_get(r, "games"), i, g) {
        fprintf(term_out(t), "  %-10s %-22s %-9s price %-7s min %-7s draws<=%lld  types:",
                json_string_value(json_object_get(g, "id")), json_string_value(json_object_get(g, "name")),
                json_string_value(json_object_get(g, "family")), json_string_value(json_object_get(g, "price")),
                json_string_value(json_object_get(g, "stake_min")),
                (long long)json_integer_value(json_object_get(g, "max_draws")));
        json_array_foreach(json_object_get(g, "bet_types"), k, ty) fprintf(term_out(t), " %s", json_string_value(ty));
        fputc('\n', term_out(t));
    }
}

tsr_status term_cmd_games(tsr_term *t, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage(t, "games");
    const json_t *g = term_games(t);
    if (!g)
        return TSR_ERR_UNAVAILABLE;
    term_ok(t, json_incref((json_t *)g), print_games);
    return TSR_OK;
}

static void print_draws(tsr_term *t, const json_t *r)
{
    size_t i;
    const json_t *d;
    json_array_foreach(r, i, d) {
        long long ms = (long long)json_integer_value(json_object_get(d, "countdown_ms"));
        const json_t *sales = json_object_get(d, "sales");
        fprintf(term_out(t), "  %-10s draw %-6lld %-12s cutoff %s  in %lldh%02lldm%02llds  sales %lld (%s)  jackpot %s\n",
                json_string_value(json_object_get(d, "game")), (long long)json_integer_value(json_object_get(d, "draw")),
                json_string_value(json_object_get(d, "state")),
                json_string_value(json_object_get(d, "cutoff_at")) ? json_string_value(json_object_get(d, "cutoff_at")) : "-",
                ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                (long long)json_integer_value(json_object_get(sales, "count")),
                json_string_value(json_object_get(sales, "stake")) ? json_string_value(json_object_get(sales, "stake")) : "0.00",
                json_string_value(json_object_get(d, "jackpot_estimate")) ? json_string_value(json_object_get(d, "jackpot_estimate")) : "-");
    }
}

tsr_status term_cmd_draws(tsr_term *t, int argc, char **argv)
{
    if (argc > 2)
        return usage(t, "draws [GAME]");
    const json_t *games = argc == 1 ? json_object_get(term_games(t), "games") : NULL;
    if (argc == 1 && !games)
        return TSR_ERR_UNAVAILABLE;
    json_t *out = json_array();
    size_t n = argc == 2 ? 1 : json_array_size(games);
    for (size_t i = 0; i < n; i++) {
        const char *id = argc == 2 ? argv[1] : json_string_value(json_object_get(json_array_get(games, i), "id"));
        char base[TERM_PATH_MAX];
        snprintf(base, sizeof base, "/v1/draws/%s", id ? id : "");
        json_t *res = NULL;
        tsr_status st = term_simple(t, TSR_METHOD_GET, base, NULL, NULL, &res);
        if (st != TSR_OK) {
            json_decref(out);
            return st;
        }
        json_array_append_new(out, res);
    }
    term_ok(t, out, print_draws);
    return TSR_OK;
}

/* ---- tickets ---------------------------------------------------------------------------- */

bool term_is_ticket_id(const char *s)
{
    if (strlen(s) != TICKET_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

tsr_status term_cmd_receipt(tsr_term *t, int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return usage(t, "receipt TICKET|QR|SERIAL CHECK");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    json_t *r = NULL;
    tsr_status st = term_find_receipt(t, argc, argv, &r);
    if (st != TSR_OK)
        return st;
    json_t *one = json_pack("[O]", r);
    st = term_show_receipts(t, one); /* the text (not in JSON mode) and the files */
    json_decref(one);
    term_ok(t, r, NULL);
    return st;
}

static void print_history(tsr_term *t, const json_t *r)
{
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(r, "items"), i, x)
        fprintf(term_out(t), "  %s  %-12s %-10s draw %-6lld %8s  %s  %s\n",
                json_string_value(json_object_get(x, "ticket_id")), json_string_value(json_object_get(x, "serial")),
                json_string_value(json_object_get(x, "game")), (long long)json_integer_value(json_object_get(x, "draw")),
                json_string_value(json_object_get(x, "stake")), json_string_value(json_object_get(x, "accepted_at")),
                json_string_value(json_object_get(x, "state")));
}

tsr_status term_cmd_history(tsr_term *t, int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && strncmp(argv[1], "limit=", 6) != 0))
        return usage(t, "history [limit=N]");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_GET, "/v1/bets", argc == 2 ? argv[1] : NULL, NULL, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_history);
    return st;
}

static void print_cancel(tsr_term *t, const json_t *r)
{
    fprintf(term_out(t), "CANCELLED ticket %s (%s): refund %s in cash\n",
            json_string_value(json_object_get(r, "ticket_id")), json_string_value(json_object_get(r, "serial")),
            json_string_value(json_object_get(r, "refund")));
}

tsr_status term_cmd_cancel(tsr_term *t, int argc, char **argv)
{
    if (argc < 2)
        return usage(t, "cancel TICKET [REASON]");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    if (!term_is_ticket_id(argv[1]))
        return term_fail(t, TSR_ERR_USAGE, "'%s' is not a ticket id (32 hex digits)", argv[1]);
    char reason[200] = "";
    for (int i = 2; i < argc; i++)
        snprintf(reason + strlen(reason), sizeof reason - strlen(reason), "%s%s", i > 2 ? " " : "", argv[i]);
    char base[TERM_PATH_MAX];
    snprintf(base, sizeof base, "/v1/bets/%s/cancel", argv[1]);
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_POST, base, NULL,
                           reason[0] ? json_pack("{s:s}", "reason", reason) : json_object(), &res);
    if (st == TSR_OK)
        term_ok(t, res, print_cancel);
    return st;
}

static void print_object(tsr_term *t, const json_t *r)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)r, k, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(term_out(t), "  %-22s %s\n", k, s ? s : json_string_value(v));
        free(s);
    }
}

tsr_status term_cmd_health(tsr_term *t, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage(t, "health");
    json_t *res = NULL;
    tsr_status st = term_simple(t, TSR_METHOD_GET, "/v1/health", NULL, NULL, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_object);
    return st;
}
