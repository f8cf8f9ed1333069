/*
 * tessera-node: the edge daemon, as a library so that tests can run a node
 * in a thread of their own process and `tessera ledger-check` can open its
 * store.
 *
 *   tsr_node *n;
 *   tsr_node_opts o = { .config = &cfg, .env = &env, .modules = mods, .n_modules = 1 };
 *   tsr_node_start(&n, &o);     // opens the store, binds, starts threads
 *   ... tsr_node_port(n, false) ...
 *   tsr_node_stop(n);           // finishes queued jobs, replies, closes the db
 *
 * tsr_node_start runs the CoAP loop on a thread it creates; tsr_node_run
 * runs it on the calling thread until tsr_node_request_stop (the daemon's
 * SIGTERM path). A node uses the clock, RNG and logger of `env` (borrowed),
 * so a test can hand it a test clock it moves.
 */
#ifndef TESSERA_NODE_H
#define TESSERA_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/env.h"
#include "tessera/status.h"

typedef struct tsr_node tsr_node;
struct tsr_node_config;
struct tsr_node_module;

typedef struct tsr_node_opts {
    const struct tsr_node_config *config;   /* borrowed; must outlive the node */
    const tsr_env *env;                     /* borrowed; must outlive the node */
    const struct tsr_node_module *modules;  /* copied array (e.g. accounts) */
    size_t n_modules;
} tsr_node_opts;

/* Opens everything (keys, store, catalogue, tokens, sockets, threads) and
 * starts serving on a new thread. Owns *out. Startup errors are returned
 * (and logged with the reason): TSR_ERR_KEY_FILE, TSR_ERR_KEY_PERMS,
 * TSR_ERR_DB_NEWER, TSR_ERR_IO, TSR_ERR_CONFIG. */
tsr_status tsr_node_start(tsr_node **out, const tsr_node_opts *opts) TSR_MUST_CHECK;

/* Opens everything like tsr_node_start but serves on no thread yet: call
 * tsr_node_run from the thread that will own libcoap. Owns *out. */
tsr_status tsr_node_open(tsr_node **out, const tsr_node_opts *opts) TSR_MUST_CHECK;

/* Runs the CoAP loop on the calling thread until a stop is requested, then
 * drains: queued jobs finish and are answered before it returns. */
tsr_status tsr_node_run(tsr_node *n) TSR_MUST_CHECK;

/* Asks the loop to stop; async-signal-safe (writes an eventfd). */
void tsr_node_request_stop(tsr_node *n);

/* Stops (if running), joins the threads, closes the store; NULL-safe. */
void tsr_node_stop(tsr_node *n);

/* The bound UDP port of the plain (dtls=false) or DTLS listener; 0 when
 * that listener is off. Useful when the config asked for port 0. */
int tsr_node_port(const tsr_node *n, bool dtls);

/* The daemon's main: `tessera-node --config FILE`. Returns a sysexits(3)
 * code: EX_USAGE, EX_CONFIG for a bad config or key, 0 after a clean stop
 * on SIGTERM/SIGINT. */
int tsr_node_main(int argc, char **argv);

#endif
