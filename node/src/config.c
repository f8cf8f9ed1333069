/* The node's config table and cross-checks (see config.h, docs/node.md). */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

typedef struct tsr_node_config C;

static const tsr_cfg_field fields[] = {
    TSR_CFG_REQ_STR(C, node_id, "node_id", 1, "this node's name (receipts, seals, outbox)"),
    TSR_CFG_STR(C, region, "region", 1, "default", "region served"),
    TSR_CFG_STR(C, jurisdiction, "jurisdiction", 1, "default", "jurisdiction of its players"),
    TSR_CFG_STR(C, listen_addr, "listen_addr", 1, "127.0.0.1", "address to bind"),
    TSR_CFG_INT(C, coap_port, "coap_port", 0, 65535, 5683,
                "plain CoAP UDP port (only with allow_plain_coap; 0 = any free port)"),
    TSR_CFG_INT(C, coaps_port, "coaps_port", -1, 65535, -1,
                "CoAP over DTLS port (-1 = off, 0 = any free port)"),
    TSR_CFG_BOOL(C, allow_plain_coap, "allow_plain_coap", false,
                 "serve plain coap:// (loopback tests and the demo only)"),
    TSR_CFG_REQ_STR(C, db_path, "db_path", 1, "SQLite database file"),
    TSR_CFG_REQ_STR(C, node_key, "node_key", 1, "node Ed25519 secret key file (mode 0600)"),
    TSR_CFG_STR(C, psk_table, "psk_table", 0, "", "terminals' DTLS PSK table (mode 0600)"),
    TSR_CFG_STR(C, cert_file, "cert_file", 0, "", "node certificate (PEM) for players' DTLS"),
    TSR_CFG_STR(C, cert_key_file, "cert_key_file", 0, "", "its private key (PEM, mode 0600)"),
    TSR_CFG_REQ_STR(C, draw_authority_key, "draw_authority_key", 1,
                    "pinned draw-authority public key (cutoff tokens)"),
    TSR_CFG_STR(C, central_key, "central_key", 0, "", "pinned central public key"),
    TSR_CFG_STR(C, catalog_file, "catalog_file", 0, "", "game catalogue JSON"),
    TSR_CFG_STR(C, tokens_dir, "tokens_dir", 0, "", "directory of cutoff token JSON files"),
    TSR_CFG_INT(C, clock_error_budget_ms, "clock_error_budget_ms", 1, 10000, 250,
                "largest clock error bound at which the node still sells"),
    TSR_CFG_INT(C, cutoff_margin_ms, "cutoff_margin_ms", 0, 600000, 1000,
                "safety margin before cutoff_at"),
    TSR_CFG_INT(C, void_window_s, "void_window_s", 0, 3600, 300, "retail cancel window"),
    TSR_CFG_STR(C, clock_mode, "clock", 1, "system",
                "system | offset (offset: tests and the demo only)"),
    TSR_CFG_INT(C, clock_offset_ms, "clock_offset_ms", -INT64_C(315360000000),
                INT64_C(315360000000), 0, "offset mode: added to the system time"),
    TSR_CFG_INT(C, clock_offset_error_ms, "clock_offset_error_ms", 0, 10000, 10,
                "offset mode: declared clock error bound"),
    TSR_CFG_INT(C, max_stake_cents, "max_stake_cents", 1, INT64_C(1000000000), 100000,
                "house limit per ticket"),
    TSR_CFG_INT(C, queue_max, "queue_max", 16, 1000000, 20000,
                "writer queue length; full = 5.03 busy"),
    TSR_CFG_INT(C, group_commit_max, "group_commit_max", 1, 4096, 512,
                "jobs per transaction"),
    TSR_CFG_INT(C, auth_workers, "auth_workers", 1, 16, 1, "Argon2id worker threads"),
    TSR_CFG_INT(C, max_idle_sessions, "max_idle_sessions", 0, 100000, 2000,
                "libcoap idle sessions kept (0 = libcoap default)"),
    TSR_CFG_INT(C, max_handshake_sessions, "max_handshake_sessions", 1, 100000, 1000,
                "DTLS handshakes in flight"),
    TSR_CFG_INT(C, rcvbuf_bytes, "rcvbuf_bytes", 65536, 1 << 28, 8 << 20,
                "SO_RCVBUF of the UDP sockets"),
    TSR_CFG_BOOL(C, deferred_sync, "deferred_sync", true,
                 "sync the WAL on a thread of its own, replies after it (false: in each COMMIT)"),
    TSR_CFG_STR(C, log_level, "log_level", 1, "info", "debug | info | warn | error"),
    TSR_CFG_STR(C, nats_url, "nats_url", 0, "",
                "NATS server of the streaming relay, e.g. nats://127.0.0.1:4222 (\"\" = none)"),
    TSR_CFG_INT(C, beacon_bound_ms, "beacon_bound_ms", 1, 10000, 250,
                "largest disagreement with central's time beacon before sales stop"),
    TSR_CFG_JSON(C, cancel_games, "cancel_games", JSON_ARRAY, false,
                 "game ids whose rules allow retail cancel"),
    TSR_CFG_JSON(C, accounts, "accounts", JSON_OBJECT, false, "accounts module section"),
    TSR_CFG_JSON(C, edge, "edge", JSON_OBJECT, false,
                 "edge module section: geolocation, jurisdiction rules, rate limits"), /* nodefinish */
};

const tsr_cfg_field *tsr_node_config_fields(size_t *n)
{
    *n = sizeof fields / sizeof fields[0];
    return fields;
}

void tsr_node_config_defaults(tsr_node_config *cfg)
{
    char err[8];
    json_t *empty = json_object();
    memset(cfg, 0, sizeof *cfg);
    /* Applying {} writes every default; the required keys then fail, which
     * is expected here: the caller sets them. */
    tsr_status st = tsr_config_apply(empty, fields, sizeof fields / sizeof fields[0], cfg, err,
                                     sizeof err);
    (void)st;
    json_decref(empty);
}

static bool addr_valid(const char *a)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

static tsr_status check_cancel_games(const tsr_node_config *cfg, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach(cfg->cancel_games, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 31) {
            snprintf(err, errlen, "config key 'cancel_games' must list game ids");
            return TSR_ERR_CONFIG_TYPE;
        }
    }
    return TSR_OK;
}

tsr_status tsr_node_config_check(const tsr_node_config *cfg, char *err, size_t errlen)
{
    if (strcmp(cfg->clock_mode, "system") != 0 && strcmp(cfg->clock_mode, "offset") != 0) {
        snprintf(err, errlen, "config key 'clock' must be \"system\" or \"offset\"");
        return TSR_ERR_CONFIG_RANGE;
    }
    if (!addr_valid(cfg->listen_addr)) {
        snprintf(err, errlen, "config key 'listen_addr' must be an IPv4 or IPv6 address");
        return TSR_ERR_CONFIG_RANGE;
    }
    if (!cfg->allow_plain_coap && cfg->coaps_port < 0) {
        snprintf(err, errlen, "no listener: set 'coaps_port' (or 'allow_plain_coap' for tests)");
        return TSR_ERR_CONFIG;
    }
    if (cfg->coaps_port >= 0 && !cfg->psk_table[0] && !cfg->cert_file[0]) {
        snprintf(err, errlen, "'coaps_port' needs 'psk_table' or 'cert_file'");
        return TSR_ERR_CONFIG;
    }
    if (!cfg->cert_file[0] != !cfg->cert_key_file[0]) {
        snprintf(err, errlen, "'cert_file' and 'cert_key_file' go together");
        return TSR_ERR_CONFIG;
    }
    tsr_log_level lv;
    if (tsr_log_level_parse(cfg->log_level, &lv) != TSR_OK) {
        snprintf(err, errlen, "config key 'log_level' must be debug, info, warn or error");
        return TSR_ERR_CONFIG_RANGE;
    }
    return cfg->cancel_games ? check_cancel_games(cfg, err, errlen) : TSR_OK;
}

tsr_status tsr_node_config_load(tsr_node_config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    tsr_status st = tsr_config_load_file(path, fields, sizeof fields / sizeof fields[0], cfg, err,
                                         errlen);
    if (st != TSR_OK)
        return st;
    return tsr_node_config_check(cfg, err, errlen);
}

void tsr_node_config_free(tsr_node_config *cfg)
{
    tsr_config_free(fields, sizeof fields / sizeof fields[0], cfg);
}
