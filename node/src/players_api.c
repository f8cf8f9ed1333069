/*
 * Routes: POST /v1/players (register), POST /v1/sessions (login of a
 * player, or of an agent on a terminal), DELETE /v1/sessions (logout); the
 * session resolver; the module's init and fini.
 */
#include "players_api.h"
#include "sales_batch.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "auth.h"
#include "claims_guard.h"
#include "ledger_sql.h"
#include "sessions.h"

tsr_accounts_state *tsr_accounts_of(const tsr_server *srv)
{
    return tsr_server_module_state(srv, "accounts");
}

tsr_status tsr_accounts_take_idem(tsr_job *job, const json_t *body)
{
    const char *k = json_string_value(json_object_get(body, "idempotency_key"));
    if (!k)
        return TSR_OK;
    job->idempotency_key = strdup(k);
    return job->idempotency_key ? TSR_OK : TSR_ERR_NOMEM;
}

/* ---- POST /v1/players -------------------------------------------------------- */

typedef struct register_ctx {
    tsr_player_reg reg;
    char password[TSR_PASSWORD_MAX + 1];
    char hash[TSR_SECRET_HASH_SIZE];
    const tsr_accounts_cfg *cfg;
} register_ctx;

static void secret_ctx_free(void *p)
{
    if (p)
        sodium_memzero(p, sizeof(register_ctx));
    free(p);
}

static tsr_status register_prepare(tsr_job *job)
{
    register_ctx *c = job->ctx;
    tsr_status st = tsr_auth_hash(c->cfg, c->password, c->hash);
    sodium_memzero(c->password, sizeof c->password);
    return st;
}

static tsr_status register_apply(tsr_store_txn *txn, tsr_job *job)
{
    register_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(job->srv);
    tsr_player_info p;
    tsr_status st = tsr_players_register(&s->acc, tsr_store_txn_conn(txn), &c->reg, c->hash,
                                         tsr_store_txn_now(txn).now_ns, &p);
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:I, s:s, s:s}", "player_id", (json_int_t)p.id, "username",
                              p.username, "kyc", tsr_kyc_state_name(p.kyc));
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static const tsr_json_field register_fields[] = {
    {"username", TSR_JSON_STRING, true, TSR_USERNAME_MAX},
    {"password", TSR_JSON_STRING, true, TSR_PASSWORD_MAX},
    {"name", TSR_JSON_STRING, true, TSR_PERSON_NAME_MAX},
    {"birth_date", TSR_JSON_STRING, true, TSR_BIRTH_DATE_LEN},
    {"address", TSR_JSON_STRING, true, TSR_ADDRESS_MAX},
    {"jurisdiction", TSR_JSON_STRING, true, TSR_JURISDICTION_MAX},
    {"document_no", TSR_JSON_STRING, true, TSR_DOCUMENT_MAX},
};

static void copy_field(char *dst, size_t len, const json_t *body, const char *name)
{
    snprintf(dst, len, "%s", json_string_value(json_object_get(body, name)));
}

/* The first invalid field of a registration, for the error detail. */
static const char *reg_field_of(tsr_status st)
{
    switch (st) {
    case TSR_ERR_USERNAME: return "username";
    case TSR_ERR_DATE:
    case TSR_ERR_UNDERAGE: return "birth_date";
    case TSR_ERR_JURISDICTION: return "jurisdiction";
    case TSR_ERR_DOCUMENT: return "document_no";
    case TSR_ERR_PASSWORD_WEAK: return "password";
    default: return "name";
    }
}

static void register_handler(tsr_server *srv, tsr_request *req)
{
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, register_fields, 7, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    register_ctx *c = calloc(1, sizeof *c);
    tsr_accounts_state *s = tsr_accounts_of(srv);
    if (!c) {
        json_decref(body);
        return tsr_reply_error(req, TSR_ERR_NOMEM, NULL);
    }
    c->cfg = &s->cfg;
    copy_field(c->reg.username, sizeof c->reg.username, body, "username");
    copy_field(c->reg.name, sizeof c->reg.name, body, "name");
    copy_field(c->reg.birth_date, sizeof c->reg.birth_date, body, "birth_date");
    copy_field(c->reg.address, sizeof c->reg.address, body, "address");
    copy_field(c->reg.jurisdiction, sizeof c->reg.jurisdiction, body, "jurisdiction");
    copy_field(c->reg.document_no, sizeof c->reg.document_no, body, "document_no");
    copy_field(c->password, sizeof c->password, body, "password");
    json_decref(body);
    st = tsr_players_validate(&s->acc, &c->reg, tsr_clock_now_ns(s->acc.env.clock));
    if (st == TSR_OK)
        st = tsr_auth_password_check(c->password);
    tsr_job *job = NULL;
    if (st == TSR_OK)
        st = tsr_job_new(&job, "register", register_apply);
    if (st != TSR_OK) {
        secret_ctx_free(c);
        return tsr_reply_field_error(req, st, reg_field_of(st));
    }
    job->prepare = register_prepare;
    job->ctx = c;
    job->ctx_free = secret_ctx_free;
    job->ok_code = 201;
    tsr_reply_submit(req, job);
}

/* ---- POST /v1/sessions -------------------------------------------------------- */

typedef struct login_ctx {
    bool agent;
    bool known;          /* the username/agent exists */
    int64_t subject_id;
    char terminal_id[TSR_CALLER_ID_MAX];
    char secret[TSR_PASSWORD_MAX + 1];
    char hash[TSR_SECRET_HASH_SIZE];
    bool secret_ok;
    const tsr_accounts_cfg *cfg;
    tsr_login_result result;
} login_ctx;

static void login_ctx_free(void *p)
{
    if (p)
        sodium_memzero(p, sizeof(login_ctx));
    free(p);
}

static tsr_status login_prepare(tsr_job *job)
{
    login_ctx *c = job->ctx;
    if (c->known)
        c->secret_ok = tsr_auth_verify(c->hash, c->secret);
    else
        tsr_auth_verify_dummy(c->cfg, c->secret); /* same time as a real verify */
    sodium_memzero(c->secret, sizeof c->secret);
    return TSR_OK;
}

/* Always TSR_OK when the database worked, so a failure count commits; the
 * refusal becomes the reply in login_done. */
static tsr_status login_apply(tsr_store_txn *txn, tsr_job *job)
{
    login_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(job->srv);
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    int64_t now = tsr_store_txn_now(txn).now_ns;
    if (!c->known) {
        c->result.outcome = TSR_ERR_CREDENTIALS;
        return TSR_OK;
    }
    if (c->agent)
        return tsr_agents_login_finish(&s->acc, db, c->subject_id, c->terminal_id, c->secret_ok,
                                       now, &c->result);
    return tsr_login_finish(&s->acc, db, c->subject_id, c->secret_ok, now, &c->result);
}

static void login_done(tsr_server *srv, tsr_job *job, bool committed)
{
    (void)srv;
    login_ctx *c = job->ctx;
    if (!committed)
        return;
    const tsr_login_result *r = &c->result;
    if (r->outcome != TSR_OK) {
        job->status = r->outcome;
        if (r->outcome == TSR_ERR_CREDENTIALS && c->known)
            job->error_detail = json_pack("{s:I}", "failures_left", (json_int_t)r->failures_left);
        return;
    }
    job->response = json_pack("{s:s, s:I, s:I, s:I}", "session", r->token, "expires_at",
                              (json_int_t)r->expires_at_ns, c->agent ? "agent_id" : "player_id",
                              (json_int_t)r->subject_id, "previous_login_at",
                              (json_int_t)r->previous_login_at_ns);
    if (!r->previous_login_at_ns)
        json_object_set_new(job->response, "previous_login_at", json_null());
}

static const tsr_json_field login_fields[] = {
    {"username", TSR_JSON_STRING, false, TSR_USERNAME_MAX},
    {"password", TSR_JSON_STRING, false, TSR_PASSWORD_MAX},
    {"agent", TSR_JSON_STRING, false, TSR_AGENT_NAME_MAX},
    {"pin", TSR_JSON_STRING, false, TSR_PIN_MAX},
};

/* Fills the context from the body and the reader: who logs in, and the
 * stored hash to verify against. */
static tsr_status login_lookup(tsr_server *srv, const tsr_request *req, const json_t *body,
                               login_ctx *c)
{
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    const char *agent = json_string_value(json_object_get(body, "agent"));
    const char *pin = json_string_value(json_object_get(body, "pin"));
    tsr_status st;
    c->agent = agent || pin;
    if (c->agent ? (!agent || !pin || user || pw) : (!user || !pw))
        return TSR_ERR_FIELD_MISSING;
    if (c->agent && req->caller.kind != TSR_CALLER_TERMINAL)
        return TSR_ERR_TERMINAL_IDENTITY;
    snprintf(c->secret, sizeof c->secret, "%s", c->agent ? pin : pw);
    snprintf(c->terminal_id, sizeof c->terminal_id, "%s", req->caller.terminal_id);
    if (c->agent)
        st = tsr_agents_lookup(tsr_server_reader(srv), c->terminal_id, agent, &c->subject_id, c->hash);
    else
        st = tsr_login_lookup(tsr_server_reader(srv), user, &c->subject_id, c->hash);
    c->known = st == TSR_OK;
    return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
}

static void login_handler(tsr_server *srv, tsr_request *req)
{
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, login_fields, 4, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    login_ctx *c = calloc(1, sizeof *c);
    tsr_job *job = NULL;
    st = c ? login_lookup(srv, req, body, c) : TSR_ERR_NOMEM;
    json_decref(body);
    if (st == TSR_OK)
        st = tsr_job_new(&job, "login", login_apply);
    if (st != TSR_OK) {
        login_ctx_free(c);
        return tsr_reply_error(req, st, NULL);
    }
    c->cfg = &tsr_accounts_of(srv)->cfg;
    job->ctx = c;
    job->ctx_free = login_ctx_free;
    job->prepare = login_prepare;
    job->done = login_done;
    job->ok_code = 201;
    tsr_reply_submit(req, job);
}

/* ---- DELETE /v1/sessions ------------------------------------------------------ */

static tsr_status logout_apply(tsr_store_txn *txn, tsr_job *job)
{
    return tsr_session_delete(tsr_store_txn_conn(txn), job->caller.session);
}

static void logout_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    tsr_job *job;
    if (!req->caller.session[0])
        return tsr_reply_error(req, TSR_ERR_SESSION_INVALID, NULL);
    if (tsr_job_new(&job, "logout", logout_apply) != TSR_OK)
        return tsr_reply_error(req, TSR_ERR_NOMEM, NULL);
    job->ok_code = 202;
    tsr_reply_submit(req, job);
}

/* ---- the session resolver ----------------------------------------------------- */

typedef struct touch_ctx {
    char token[TSR_TOKEN_HEX_SIZE];
} touch_ctx;

static tsr_status touch_apply(tsr_store_txn *txn, tsr_job *job)
{
    touch_ctx *c = job->ctx;
    return tsr_session_touch(&tsr_accounts_of(job->srv)->acc, tsr_store_txn_conn(txn), c->token,
                             tsr_store_txn_now(txn).now_ns);
}

static void touch_ctx_free(void *p)
{
    if (p)
        sodium_memzero(p, sizeof(touch_ctx));
    free(p);
}

/* Records the use of a session from the CoAP thread (reads do not reach
 * the writer otherwise), at most once per TSR_SESSION_READ_TOUCH_S. A full
 * queue skips it: the next request tries again. */
static void touch_on_read(tsr_accounts_state *s, tsr_server *srv, const char *token,
                          const tsr_session_info *si, int64_t now_ns)
{
    if (now_ns - si->last_seen_at_ns < tsr_session_touch_every_ns(&s->acc) ||
        strlen(token) >= TSR_TOKEN_HEX_SIZE)
        return;
    touch_ctx *c = calloc(1, sizeof *c);
    tsr_job *job = NULL;
    if (!c || tsr_job_new(&job, "session_touch", touch_apply) != TSR_OK) {
        free(c);
        return;
    }
    snprintf(c->token, sizeof c->token, "%s", token);
    job->ctx = c;
    job->ctx_free = touch_ctx_free;
    tsr_status st = tsr_server_submit_internal(srv, job);
    if (st != TSR_OK)
        tsr_log_debug(s->acc.env.log, "session_touch_skipped", "status=%s", tsr_status_name(st));
}

/* A player session makes a PLAYER; an agent session is valid only on the
 * terminal it was opened on, proven again by this request's transport. */
static tsr_status resolve(void *arg, tsr_server *srv, const char *token, tsr_caller *out)
{
    tsr_accounts_state *s = arg;
    tsr_session_info si;
    int64_t now = tsr_clock_now_ns(s->acc.env.clock);
    tsr_status st = tsr_session_check(&s->acc, tsr_server_reader(srv), token, now, &si);
    if (st != TSR_OK)
        return st;
    if (si.agent_id > 0 && (out->kind != TSR_CALLER_TERMINAL ||
                            strcmp(out->terminal_id, si.terminal_id) != 0))
        return TSR_ERR_TERMINAL_IDENTITY;
    if (si.player_id > 0 && out->kind == TSR_CALLER_TERMINAL)
        return TSR_ERR_SESSION_KIND;
    touch_on_read(s, srv, token, &si, now);
    if (si.player_id > 0) {
        out->kind = TSR_CALLER_PLAYER;
        out->player_id = si.player_id;
    } else {
        out->agent_id = si.agent_id;
    }
    return TSR_OK;
}

/* ---- module ------------------------------------------------------------------- */

/* A registration is at most ~700 bytes of values (the field limits), so
 * 1 KiB refuses junk and stays inside one CoAP datagram: libcoap drops a
 * datagram above its receive size without an answer. */
#define REGISTER_BODY_MAX 1024

static const tsr_route routes[] = {
    {TSR_POST, "/v1/players", TSR_AUTH_ANON, register_handler, REGISTER_BODY_MAX, false},
    {TSR_POST, "/v1/sessions", TSR_AUTH_ANON | TSR_AUTH_TERMINAL, login_handler, 0, false},
    {TSR_DELETE, "/v1/sessions", TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL, logout_handler, 0, false},
};

static tsr_status state_init(tsr_server *srv, const json_t *section, tsr_accounts_state *s)
{
    char err[256] = "";
    const tsr_env *env = tsr_server_env(srv);
    tsr_status st = tsr_accounts_cfg_load(section, &s->cfg, err, sizeof err);
    if (st != TSR_OK) {
        tsr_log_error(env->log, "accounts_config", "status=%s detail=\"%s\"", tsr_status_name(st), err);
        return st;
    }
    s->acc.cfg = &s->cfg;
    s->acc.env = *env;
    s->psp_key_set = s->cfg.psp_secret_hex[0] &&
                     tsr_hex_decode(s->psp_key, sizeof s->psp_key, s->cfg.psp_secret_hex) == TSR_OK;
    return TSR_OK;
}

tsr_status tsr_accounts_init(tsr_server *srv, const json_t *section)
{
    tsr_accounts_state *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    tsr_status st = state_init(srv, section, s);
    if (st == TSR_OK)
        st = tsr_server_set_module_state(srv, "accounts", s);
    if (st != TSR_OK) {
        tsr_accounts_cfg_free(&s->cfg);
        free(s);
        return st;
    }
    for (size_t i = 0; st == TSR_OK && i < sizeof routes / sizeof routes[0]; i++)
        st = tsr_server_route(srv, &routes[i]);
    if (st == TSR_OK)
        st = tsr_wallet_api_init(srv, s);
    if (st == TSR_OK)
        st = tsr_claims_api_init(srv);
    if (st == TSR_OK)
        st = tsr_agents_api_init(srv);
    if (st == TSR_OK)
        tsr_server_set_session_resolver(srv, resolve, s);
    return st;
}

void tsr_accounts_fini(tsr_server *srv)
{
    tsr_accounts_state *s = tsr_accounts_of(srv);
    if (!s)
        return;
    tsr_psp_destroy(s->psp);
    tsr_claim_guard_destroy(s->claim_guard);
    tsr_sales_batch_free(s->sales);
    tsr_accounts_cfg_free(&s->cfg);
    sodium_memzero(s->psp_key, sizeof s->psp_key);
    free(s);
}

const tsr_node_module tsr_accounts_module = TSR_ACCOUNTS_MODULE;
