/*
 * The accounts module of the node: its CoAP routes (players, sessions,
 * wallet, deposits, withdrawals, provider events, limits, exclusions,
 * claims), the session resolver and the wallet hooks of the bet path.
 *
 * The daemon lists `tsr_accounts_module` in its modules; its config
 * section is "accounts" (players.h tsr_accounts_cfg).
 */
#ifndef TSR_NODE_PLAYERS_API_H
#define TSR_NODE_PLAYERS_API_H

#include "players.h"
#include "psp.h"
#include "server.h"

/* The module: init registers routes, the resolver and the wallet hooks;
 * fini frees its state. TSR_ACCOUNTS_MODULE is a constant initializer for
 * a static module array: {TSR_ACCOUNTS_MODULE}. */
tsr_status tsr_accounts_init(tsr_server *srv, const json_t *section) TSR_MUST_CHECK;
void tsr_accounts_fini(tsr_server *srv);
#define TSR_ACCOUNTS_MODULE {"accounts", tsr_accounts_init, tsr_accounts_fini}
extern const tsr_node_module tsr_accounts_module;

/* The module's state (private to the *_api.c files). */
typedef struct tsr_accounts_state {
    tsr_accounts_cfg cfg;
    tsr_accounts acc;
    uint8_t psp_key[TSR_PSP_KEY_LEN];
    bool psp_key_set;
    tsr_psp *psp; /* created on first payment (the port is known then) */
    struct tsr_claim_guard *claim_guard; /* wrong validation codes per terminal */
    struct tsr_sales_batch *sales; /* retail sales of the writer's group (writer thread) */
} tsr_accounts_state;

/* The state of the running module (borrowed); any thread. */
tsr_accounts_state *tsr_accounts_of(const tsr_server *srv);

/* Registers the wallet, limits, exclusions, provider and claims routes and
 * the bet path's hooks (wallet_api.c, claims_api.c). */
tsr_status tsr_wallet_api_init(tsr_server *srv, tsr_accounts_state *st) TSR_MUST_CHECK;
tsr_status tsr_claims_api_init(tsr_server *srv) TSR_MUST_CHECK;
/* GET /v1/agents/settlement (agents_api.c). */
tsr_status tsr_agents_api_init(tsr_server *srv) TSR_MUST_CHECK;

/* Reads an optional "idempotency_key" string of a parsed body into the job
 * (copied). TSR_ERR_NOMEM. */
tsr_status tsr_accounts_take_idem(tsr_job *job, const json_t *body) TSR_MUST_CHECK;

/* Longest idempotency key accepted in a body. */
#define TSR_IDEM_KEY_MAX 64

#endif
