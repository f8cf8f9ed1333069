/*
 * The node's configuration: one JSON file loaded through a table (see
 * tessera/config.h), every key with its type, bounds and default; unknown
 * keys are refused. docs/node.md lists every key.
 */
#ifndef TSR_NODE_CONFIG_H
#define TSR_NODE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/config.h"
#include "tessera/status.h"

#define TSR_CFG_PATH_MAX 256
#define TSR_CFG_NAME_MAX 32

struct tsr_node_config {
    char node_id[TSR_CFG_NAME_MAX];      /* name in receipts, seals, outbox */
    char region[TSR_CFG_NAME_MAX];
    char jurisdiction[TSR_CFG_NAME_MAX];

    char listen_addr[64];                /* IPv4/IPv6 literal */
    int64_t coap_port;                   /* plain UDP; used only with allow_plain_coap */
    int64_t coaps_port;                  /* DTLS; 0 = off */
    bool allow_plain_coap;

    char db_path[TSR_CFG_PATH_MAX];
    char node_key[TSR_CFG_PATH_MAX];     /* secret key file, mode 0600 */
    char psk_table[TSR_CFG_PATH_MAX];    /* terminals' DTLS PSKs ("" = none) */
    char cert_file[TSR_CFG_PATH_MAX];    /* PKI for players ("" = none) */
    char cert_key_file[TSR_CFG_PATH_MAX];
    char draw_authority_key[TSR_CFG_PATH_MAX]; /* pinned public key of tokens */
    char central_key[TSR_CFG_PATH_MAX];  /* pinned central key ("" = none) */
    char catalog_file[TSR_CFG_PATH_MAX]; /* catalogue JSON ("" = none) */
    char tokens_dir[TSR_CFG_PATH_MAX];   /* cutoff tokens loaded at start ("" = none) */

    int64_t clock_error_budget_ms;       /* above it, no sales near cutoff */
    int64_t cutoff_margin_ms;            /* safety margin before cutoff_at */
    int64_t void_window_s;               /* retail cancel window */
    char clock_mode[16];                 /* "system" | "offset" (tests/demo) */
    int64_t clock_offset_ms;             /* offset mode: added to system time */
    int64_t clock_offset_error_ms;       /* offset mode: declared error bound */

    int64_t max_stake_cents;             /* house limit per ticket */
    int64_t queue_max;                   /* writer queue; full → 5.03 */
    int64_t group_commit_max;            /* jobs per transaction */
    int64_t auth_workers;                /* Argon2id worker threads */
    int64_t max_idle_sessions;           /* libcoap idle session cap */
    int64_t max_handshake_sessions;      /* libcoap DTLS handshakes in flight */
    int64_t rcvbuf_bytes;                /* SO_RCVBUF of the UDP sockets */
    bool deferred_sync;                  /* WAL sync off the writer thread (store.h) */
    char log_level[8];

    char nats_url[TSR_CFG_PATH_MAX];     /* streaming: NATS server ("" = no relay) */
    int64_t beacon_bound_ms;             /* streaming: largest skew vs central's beacon */

    json_t *cancel_games;                /* array of game ids whose rules allow retail cancel */
    json_t *accounts;                    /* the accounts module's section */
    json_t *edge;                        /* nodefinish: the edge module's section (edge.h) */
};
typedef struct tsr_node_config tsr_node_config;

/* The field table (static) and its length. */
const tsr_cfg_field *tsr_node_config_fields(size_t *n);

/* Sets every default (no file): for in-process tests, which then set the
 * required keys themselves. */
void tsr_node_config_defaults(tsr_node_config *cfg);

/* Loads and checks a config file: the table, then cross-checks (ports,
 * clock mode, a listener enabled, offset keys only in offset mode). `err`
 * names the key. Must be freed with tsr_node_config_free even on error.
 * TSR_ERR_CONFIG*, TSR_ERR_FIELD_MISSING, TSR_ERR_IO, TSR_ERR_JSON. */
tsr_status tsr_node_config_load(tsr_node_config *cfg, const char *path, char *err,
                                size_t errlen) TSR_MUST_CHECK;

/* The cross-checks alone (after defaults or a load). */
tsr_status tsr_node_config_check(const tsr_node_config *cfg, char *err,
                                 size_t errlen) TSR_MUST_CHECK;

/* Releases the JSON sections. */
void tsr_node_config_free(tsr_node_config *cfg);

#endif
