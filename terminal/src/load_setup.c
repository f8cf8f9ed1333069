/*
 * Setup of a load run, before anything is measured: the game catalogue of
 * the first node, then each simulated player registers, logs in and
 * deposits (the node's sandbox payment provider completes deposits by
 * itself), and the run waits until every wallet shows the money.
 *
 * Registration and login cost the node an Argon2id hash each, so they run
 * a few at a time, not all at once.
 */
#include <stdio.h>
#include <string.h>

#include "load_int.h"
#include "tessera/money.h"

/* Setup calls wait this long for one answer (Argon2id under a burst). */
#define SETUP_CALL_MS 30000
/* Wallet polls until the sandbox provider's deposit lands. */
#define DEPOSIT_WAIT_POLLS 100
#define DEPOSIT_POLL_MS 100
#define SETUP_PASSWORD "load-generator-pw-1"

static tsr_status call(load_run *r, int target, tsr_method m, const char *path, json_t *body,
                       tsr_reply *out, const char *step, char *err, size_t errlen)
{
    tsr_status st = tsr_client_call(r->clients[target], m, path, body, SETUP_CALL_MS, out);
    json_decref(body);
    if (st == TSR_OK && out->status != TSR_OK)
        st = out->status;
    if (st != TSR_OK)
        snprintf(err, errlen, "setup step '%s' on %s failed: %s (%s)", step,
                 tsr_client_uri(r->clients[target]), tsr_status_name(st),
                 out->message[0] ? out->message : tsr_status_str(st));
    return st;
}

static tsr_status load_games(load_run *r, char *err, size_t errlen)
{
    if (r->o->catalog)
        return tsr_gen_games_from_catalog(r->o->catalog, r->games, TSR_GEN_GAMES_MAX, &r->ngames,
                                          err, errlen);
    tsr_reply rep;
    tsr_status st = call(r, 0, TSR_METHOD_GET, "/v1/games", NULL, &rep, "games", err, errlen);
    if (st == TSR_OK) {
        st = tsr_gen_games_parse(rep.body, r->games, TSR_GEN_GAMES_MAX, &r->ngames);
        if (st != TSR_OK)
            snprintf(err, errlen, "the node's game list has no usable game (%s)",
                     tsr_status_name(st));
    }
    tsr_reply_clear(&rep);
    return st;
}

/* Names are unique per run (seed) and per player, so a second run against
 * the same node registers new players instead of colliding. */
static void player_name(const load_run *r, int i, char *out, size_t cap)
{
    snprintf(out, cap, "ld%llu-p%d", (unsigned long long)r->o->seed, i);
}

static tsr_status register_player(load_run *r, int i, char *err, size_t errlen)
{
    char user[48], doc[48];
    player_name(r, i, user, sizeof user);
    snprintf(doc, sizeof doc, "LD%010lluP%05d", (unsigned long long)(r->o->seed % 10000000000ULL), i);
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "username", user, "password",
                             SETUP_PASSWORD, "name", "Load Player", "birth_date", "1980-01-01",
                             "address", "1 Test Street", "jurisdiction", "US-NY",
                             "document_no", doc);
    tsr_reply rep;
    tsr_status st = call(r, r->users[i].target, TSR_METHOD_POST, "/v1/players", body, &rep,
                         "register", err, errlen);
    tsr_reply_clear(&rep);
    return st;
}

static tsr_status login_player(load_run *r, int i, char *err, size_t errlen)
{
    char user[48];
    player_name(r, i, user, sizeof user);
    json_t *body = json_pack("{s:s,s:s}", "username", user, "password", SETUP_PASSWORD);
    tsr_reply rep;
    tsr_status st = call(r, r->users[i].target, TSR_METHOD_POST, "/v1/sessions", body, &rep,
                         "login", err, errlen);
    const char *tok = st == TSR_OK ? json_string_value(json_object_get(rep.body, "session")) : NULL;
    if (st == TSR_OK && (!tok || strlen(tok) >= LOAD_TOKEN_MAX - sizeof "session=")) {
        snprintf(err, errlen, "%s", "setup step 'login': the answer has no usable \"session\"");
        st = TSR_ERR_PROTO;
    }
    if (st == TSR_OK)
        snprintf(r->users[i].token, sizeof r->users[i].token, "session=%.*s",
                 (int)(LOAD_TOKEN_MAX - sizeof "session="), tok);
    tsr_reply_clear(&rep);
    return st;
}

static tsr_status deposit(load_run *r, int i, char *err, size_t errlen)
{
    char path[LOAD_PATH_MAX], key[64];
    snprintf(path, sizeof path, "/v1/wallet/deposits?%s", r->users[i].token);
    snprintf(key, sizeof key, "ld%llu-dep-%d", (unsigned long long)r->o->seed, i);
    json_t *body = json_pack("{s:I,s:s}", "amount", (json_int_t)r->o->deposit_cents,
                             "idempotency_key", key);
    tsr_reply rep;
    tsr_status st = call(r, r->users[i].target, TSR_METHOD_POST, path, body, &rep, "deposit",
                         err, errlen);
    tsr_reply_clear(&rep);
    return st;
}

/* The wallet's balance in cents ("balance": cents, node wallet.h). */
static tsr_cents balance_of(const json_t *w)
{
    const json_t *c = json_object_get(w, "balance");
    if (json_is_integer(c))
        return json_integer_value(c);
    tsr_cents v = 0;
    const char *s = json_string_value(json_object_get(w, "balance"));
    return s && tsr_money_parse(s, &v) == TSR_OK ? v : 0;
}

static tsr_status wait_funded(load_run *r, int i, char *err, size_t errlen)
{
    char path[LOAD_PATH_MAX];
    snprintf(path, sizeof path, "/v1/wallet?%s", r->users[i].token);
    for (int k = 0; k < DEPOSIT_WAIT_POLLS; k++) {
        tsr_reply rep;
        tsr_status st = call(r, r->users[i].target, TSR_METHOD_GET, path, NULL, &rep, "wallet",
                             err, errlen);
        tsr_cents bal = st == TSR_OK ? balance_of(rep.body) : 0;
        tsr_reply_clear(&rep);
        if (st != TSR_OK)
            return st;
        if (bal > 0)
            return TSR_OK;
        if (tsr_client_poll(r->clients[r->users[i].target], DEPOSIT_POLL_MS) != TSR_OK)
            continue; /* a failed poll is one wasted wait; the next call tells */
    }
    snprintf(err, errlen, "setup: player %d's deposit never reached the wallet", i);
    return TSR_ERR_TIMEOUT;
}

/* Retail: the agent logs in once per node (over coaps:// the PSK identity
 * names the terminal; over coap:// the terminal= query does) and every
 * simulated till sells on that session, charging the terminal's float. */
static tsr_status login_agent(load_run *r, int target, char *query, size_t cap, char *err,
                              size_t errlen)
{
    char path[LOAD_PATH_MAX];
    snprintf(path, sizeof path, "/v1/sessions%s%s", r->o->terminal_id ? "?terminal=" : "",
             r->o->terminal_id ? r->o->terminal_id : "");
    json_t *body = json_pack("{s:s,s:s}", "agent", r->o->agent, "pin", r->o->agent_pin);
    tsr_reply rep;
    tsr_status st = call(r, target, TSR_METHOD_POST, path, body, &rep, "agent login", err, errlen);
    const char *tok = st == TSR_OK ? json_string_value(json_object_get(rep.body, "session")) : NULL;
    if (st == TSR_OK && !tok)
        st = TSR_ERR_PROTO;
    if (st == TSR_OK)
        snprintf(query, cap, "session=%s%s%s", tok, r->o->terminal_id ? "&terminal=" : "",
                 r->o->terminal_id ? r->o->terminal_id : "");
    tsr_reply_clear(&rep);
    return st;
}

static tsr_status setup_agents(load_run *r, char *err, size_t errlen)
{
    char query[TSR_LOAD_TARGETS_MAX][LOAD_TOKEN_MAX];
    tsr_status st = TSR_OK;
    for (int t = 0; st == TSR_OK && t < r->o->ntargets; t++)
        st = login_agent(r, t, query[t], sizeof query[t], err, errlen);
    r->nusers = r->o->players;
    for (int i = 0; st == TSR_OK && i < r->nusers; i++) {
        r->users[i].target = i % r->o->ntargets;
        snprintf(r->users[i].token, sizeof r->users[i].token, "%s", query[r->users[i].target]);
    }
    if (st == TSR_OK && r->o->progress)
        fprintf(r->o->progress, "setup: %zu games, agent %s logged in, %d tills\n", r->ngames,
                r->o->agent, r->nusers);
    return st;
}

tsr_status load_setup(load_run *r, char *err, size_t errlen)
{
    tsr_status st = load_games(r, err, errlen);
    if (st == TSR_OK && r->o->agent)
        return setup_agents(r, err, errlen);
    r->nusers = r->o->players;
    for (int i = 0; st == TSR_OK && i < r->nusers; i++) {
        r->users[i].target = i % r->o->ntargets;
        st = register_player(r, i, err, errlen);
        if (st == TSR_OK)
            st = login_player(r, i, err, errlen);
        if (st == TSR_OK && r->o->deposit_cents > 0)
            st = deposit(r, i, err, errlen);
    }
    for (int i = 0; st == TSR_OK && r->o->deposit_cents > 0 && i < r->nusers; i++)
        st = wait_funded(r, i, err, errlen);
    if (st == TSR_OK && r->o->progress)
        fprintf(r->o->progress, "setup: %zu games, %d players registered, logged in and funded\n",
                r->ngames, r->nusers);
    return st;
}
