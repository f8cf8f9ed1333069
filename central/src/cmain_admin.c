/* The operator's subcommands of tessera-central: status, alarms, exclude,
 * draw-add, draw-ready. Each reads central's store beside a live daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "central_int.h"
#include "cmain_int.h"

/* Longest operator name and reason recorded in the audit. */
#define OPERATOR_MAX 100
#define REASON_MAX 500

static int fail(const char *what, tsr_status s)
{
    fprintf(stderr, "tessera-central: %s: %s (%s)\n", what, tsr_status_str(s), tsr_status_name(s));
    return tsr_status_exit_code(s);
}

static int print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!s)
        return EX_SOFTWARE;
    printf("%s\n", s);
    free(s);
    return 0;
}

/* Now by the configured clock (the offset clock in the demo). */
static tsr_status now_ns(const tsr_central_config *cfg, int64_t *out)
{
    tsr_clock *c;
    tsr_status s = cli_make_clock(cfg, &c);
    if (s == TSR_OK)
        *out = tsr_clock_now_ns(c);
    tsr_clock_destroy(c);
    return s;
}

static void ago(char *buf, size_t cap, int64_t now, int64_t at)
{
    if (at <= 0)
        snprintf(buf, cap, "never");
    else
        snprintf(buf, cap, "%.1fs ago", (double)(now - at) / 1e9);
}

static void print_node_draws(const json_t *draws)
{
    size_t i;
    json_t *d;
    json_array_foreach(draws, i, d) {
        json_t *diff = json_object_get(d, "diff");
        char *ds = json_is_null(diff) || !diff ? NULL : json_dumps(diff, JSON_COMPACT | JSON_SORT_KEYS);
        printf("    %s/%lld: %s%s%s\n", json_string_value(json_object_get(d, "game")),
               (long long)json_integer_value(json_object_get(d, "draw")),
               json_string_value(json_object_get(d, "state")), ds ? " " : "", ds ? ds : "");
        free(ds);
    }
}

/* One node: its connection, counts, what it last reported, its seals. */
static void print_node(const json_t *n, int64_t now)
{
    char last[48];
    ago(last, sizeof last, now, json_integer_value(json_object_get(n, "last_status_at_ns")));
    json_t *lag = json_object_get(n, "outbox_lag"), *tok = json_object_get(n, "time_ok");
    json_t *beacon = json_object_get(n, "last_beacon_seq"), *skew = json_object_get(n, "beacon_skew_ns");
    printf("%-12s %-9s %-12s %9lld %9lld %9lld %9lld ", json_string_value(json_object_get(n, "node")),
           json_is_true(json_object_get(n, "connected")) ? "yes" : "NO", last,
           (long long)json_integer_value(json_object_get(n, "tickets")),
           (long long)json_integer_value(json_object_get(n, "contig_seq")),
           (long long)json_integer_value(json_object_get(n, "max_seq")),
           (long long)json_integer_value(json_object_get(n, "receipted_seq")));
    if (json_is_integer(lag))
        printf("%9lld ", (long long)json_integer_value(lag));
    else
        printf("%9s ", "-");
    if (json_is_integer(beacon) && json_integer_value(beacon) > 0)
        printf("seq %lld, skew %.1f ms, %s\n", (long long)json_integer_value(beacon),
               (double)json_integer_value(skew) / 1e6,
               json_is_true(tok) ? "time ok" : "SALES CLOSED (clock)");
    else
        printf("none seen\n");
    if (!json_is_true(json_object_get(n, "active")))
        printf("    (not in the current config)\n");
    print_node_draws(json_object_get(n, "draws"));
}

int cli_status(const tsr_central_config *cfg, const cli_args *a)
{
    int64_t now;
    json_t *j = NULL;
    tsr_status s = now_ns(cfg, &now);
    if (s == TSR_OK)
        s = tsr_central_status_json(cfg->db_path, now, cfg->status_stale_ms, &j);
    if (s != TSR_OK)
        return fail(cfg->db_path, s);
    int rc = 0;
    if (a->json) {
        rc = print_json(j);
    } else {
        printf("central %s  store %s  alarms %lld\n", cfg->central_id, cfg->db_path,
               (long long)json_integer_value(json_object_get(j, "alarms")));
        printf("%-12s %-9s %-12s %9s %9s %9s %9s %9s %s\n", "NODE", "CONNECTED", "LAST STATUS",
               "TICKETS", "CONTIG", "MAX SEQ", "RECEIPTED", "LAG", "LAST BEACON (reported)");
        size_t i;
        json_t *n;
        json_array_foreach(json_object_get(j, "nodes"), i, n)
            print_node(n, now);
    }
    json_decref(j);
    return rc;
}

int cli_alarms(const tsr_central_config *cfg, const cli_args *a)
{
    json_t *j;
    tsr_status s = tsr_central_alarms_json(cfg->db_path, &j);
    if (s != TSR_OK)
        return fail(cfg->db_path, s);
    int rc = 0;
    if (a->json) {
        rc = print_json(j);
    } else {
        size_t i;
        json_t *al;
        if (json_array_size(j) == 0)
            printf("no alarms\n");
        json_array_foreach(j, i, al) {
            char when[40];
            tsr_time_format(json_integer_value(json_object_get(al, "at_ns")), when, sizeof when);
            const char *node = json_string_value(json_object_get(al, "node"));
            const char *st = json_string_value(json_object_get(al, "status"));
            const char *detail = json_string_value(json_object_get(al, "detail"));
            printf("%s node=%s kind=%s status=%s %s\n", when, node ? node : "-",
                   json_string_value(json_object_get(al, "kind")), st ? st : "-",
                   detail ? detail : "");
        }
    }
    json_decref(j);
    return rc;
}

/* --draw as a uint32 (draw numbers are 32-bit). */
static bool parse_draw(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x > UINT32_MAX || v[0] == '-') {
        fprintf(stderr, "tessera-central: --draw must be a draw number (0..%u)\n", UINT32_MAX);
        return false;
    }
    *out = (uint32_t)x;
    return true;
}

/* --game and --draw, both required. */
static bool game_draw(const cli_args *a, const char **game, uint32_t *draw)
{
    *game = cli_opt(a, "game");
    if (!*game || !tsr_name_valid(*game)) {
        fprintf(stderr, "tessera-central: --game must be a game id (1-31 of [A-Za-z0-9._-])\n");
        return false;
    }
    return parse_draw(cli_opt(a, "draw"), draw);
}

static const char *operator_name(const cli_args *a)
{
    const char *op = cli_opt(a, "operator");
    if (!op)
        op = getenv("USER");
    return op && *op ? op : "operator";
}

int cli_exclude(const tsr_central_config *cfg, const cli_args *a)
{
    const char *game, *node = cli_opt(a, "node"), *reason = cli_opt(a, "reason");
    uint32_t draw;
    if (!game_draw(a, &game, &draw))
        return EX_USAGE;
    const char *op = operator_name(a);
    if (!node || !reason || !*reason || strlen(reason) > REASON_MAX || strlen(op) > OPERATOR_MAX) {
        fprintf(stderr, "tessera-central: exclude needs --node N and --reason TEXT (1-%d "
                        "characters); --operator at most %d\n", REASON_MAX, OPERATOR_MAX);
        return EX_USAGE;
    }
    int64_t now;
    tsr_status s = now_ns(cfg, &now);
    if (s == TSR_OK)
        s = tsr_central_exclude(cfg->db_path, node, game, draw, op, reason, now);
    if (s == TSR_ERR_EXISTS) {
        fprintf(stderr, "tessera-central: node %s is already excluded from %s/%u\n", node, game, draw);
        return tsr_status_exit_code(s);
    }
    if (s == TSR_ERR_NODE_UNKNOWN) {
        fprintf(stderr, "tessera-central: no node '%s' at this central\n", node);
        return tsr_status_exit_code(s);
    }
    if (s != TSR_OK)
        return fail("exclude", s);
    printf("excluded node %s from %s/%u by %s (audited): %s\n"
           "its tickets for this draw stay in the store and are refunded by the node\n",
           node, game, draw, op, reason);
    return 0;
}

int cli_draw_add(const tsr_central_config *cfg, const cli_args *a)
{
    const char *game, *cut = cli_opt(a, "cutoff-at-ns");
    uint32_t draw;
    if (!game_draw(a, &game, &draw))
        return EX_USAGE;
    char *end = NULL;
    errno = 0;
    long long cutoff = cut ? strtoll(cut, &end, 10) : -1;
    if (!cut || !*cut || *end || errno || cutoff < 0) {
        fprintf(stderr, "tessera-central: --cutoff-at-ns must be Unix nanoseconds\n");
        return EX_USAGE;
    }
    tsr_status s = tsr_central_draw_add_db(cfg->db_path, game, draw, cutoff);
    if (s != TSR_OK)
        return fail(cfg->db_path, s);
    char when[40];
    tsr_time_format(cutoff, when, sizeof when);
    printf("draw %s/%u registered, cutoff %s\n", game, draw, when);
    return 0;
}

/* One line per node saying what the draw waits for. */
static void print_reason(const char *node, const json_t *r)
{
    const char *state = json_string_value(json_object_get(r, "state"));
    bool late = json_is_true(json_object_get(r, "late"));
    json_t *diff = json_object_get(r, "diff");
    char *ds = diff && !json_is_null(diff) ? json_dumps(diff, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *what = strcmp(state, "reconciled") == 0 ? "reconciled"
                       : strcmp(state, "excluded") == 0 ? "excluded by an operator"
                       : strcmp(state, "open") == 0     ? "waits: no seal from this node yet"
                       : strcmp(state, "sealed") == 0   ? "waits: sealed, entries still missing"
                                                        : "MISMATCH: the seal disagrees with "
                                                          "central (replay, or exclude)";
    printf("  %-12s %s%s%s%s\n", node, what, late ? " [late: past cutoff + grace]" : "",
           ds ? " " : "", ds ? ds : "");
    free(ds);
}

int cli_draw_ready(const tsr_central_config *cfg, const cli_args *a)
{
    const char *game;
    uint32_t draw;
    if (!game_draw(a, &game, &draw))
        return EX_USAGE;
    int64_t now;
    json_t *why = NULL;
    tsr_status s = now_ns(cfg, &now);
    if (s == TSR_OK)
        s = tsr_central_draw_ready_db(cfg->db_path, game, draw, now, cfg->seal_grace_ms, &why);
    if (!why)
        return fail(cfg->db_path, s);
    if (a->json) {
        json_t *o = json_pack("{s:s,s:I,s:b,s:s,s:O}", "game", game, "draw", (json_int_t)draw,
                              "ready", s == TSR_OK, "status", tsr_status_name(s), "nodes", why);
        int rc = print_json(o);
        json_decref(o);
        json_decref(why);
        return s == TSR_OK ? rc : tsr_status_exit_code(s);
    }
    printf("%s/%u: %s\n", game, draw, s == TSR_OK ? "READY: every node reconciled or excluded"
                                                  : tsr_status_str(s));
    const char *k;
    json_t *r;
    json_object_foreach(why, k, r)
        print_reason(k, r);
    json_decref(why);
    return tsr_status_exit_code(s);
}
