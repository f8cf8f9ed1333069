/*
 * tessera-load: the load generator and benchmark driver. Parses options and
 * runs tsr_load_run (terminal/src/load.c); see docs/terminal.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/client.h"
#include "tessera/keys.h"
#include "tessera/loadgen.h"
#include "tessera/money.h"

static const char USAGE[] =
    "usage: tessera-load --target coap://127.0.0.1:PORT [options]\n"
    "  --target URI        node to load (repeat for several; loopback only)\n"
    "  --psk FILE          terminal PSK file for coaps:// targets\n"
    "  --mode M            open (constant rate), closed, day (default open)\n"
    "  --rate N            open loop: requests per second (default 1000)\n"
    "  --concurrency N     closed loop: requests in flight (default 64)\n"
    "  --day-seconds S     day: length of the compressed selling day (default 600)\n"
    "  --peak N            day: requests per second at the cutoff (default 15000)\n"
    "  --base-fraction F   day: base level as a share of the peak (default 0.133)\n"
    "  --surge-fraction F  day: share of the day the surge lasts (default 0.1)\n"
    "  --duration S        stop sending after S seconds (default 10, max 3600)\n"
    "  --max-requests N    stop sending after N requests (default 1000000)\n"
    "  --warmup S          do not measure requests meant for the first S seconds\n"
"  --catalog FILE      catalogue file: explicit selections for every bet type\n"
    "                      (without it every bet is a quick pick)\n"
    "  --agent NAME:PIN    retail: log in as this agent and sell on its terminal's float\n"
    "                      (no players registered; --players = tills sharing the session)\n"
    "  --terminal ID       coap:// retail: the terminal id (coaps:// uses the PSK identity)\n"
    "  --players N         simulated players: register, log in, deposit (default 8)\n"
    "  --deposit AMOUNT    each player's deposit (default 10000.00)\n"
    "  --sessions N        UDP sessions per node (default 1)\n"
    "  --window N          requests in flight per node at most (default 4096)\n"
    "  --con               confirmable requests (default NON)\n"
    "  --timeout-ms N      attempt timeout (default 1000)\n"
    "  --attempts N        attempts per request, same idempotency key (default 3)\n"
    "  --mix LIST          weights, e.g. bet=90,history=4,wallet=2,ticket=2,cancel=1,claim=1\n"
    "  --quick-pick PCT    share of quick picks (default 30)\n"
    "  --advance PCT       share of advance plays (default 5)\n"
    "  --seed N            bets, keys and choices replay from it (default 1)\n"
    "  --receipts FILE     append every bet answer (its receipts) as a JSON line\n"
    "  --json              print the summary as JSON\n"
    "  --progress          one line per second on stderr\n";

enum { O_PSK = 256, O_MODE, O_RATE, O_CONC, O_DAY, O_PEAK, O_BASE, O_SURGE, O_DUR, O_MAXREQ,
       O_WARM, O_PLAYERS, O_DEPOSIT, O_SESS, O_WINDOW, O_CON, O_TIMEOUT, O_ATTEMPTS, O_MIX,
       O_QP, O_ADV, O_SEED, O_RECEIPTS, O_JSON, O_PROGRESS, O_TARGET, O_HELP, O_CATALOG, O_AGENT, O_TERMINAL };

static const struct option LONGOPTS[] = {
    {"target", required_argument, 0, O_TARGET}, {"psk", required_argument, 0, O_PSK},
    {"mode", required_argument, 0, O_MODE}, {"rate", required_argument, 0, O_RATE},
    {"concurrency", required_argument, 0, O_CONC}, {"day-seconds", required_argument, 0, O_DAY},
    {"peak", required_argument, 0, O_PEAK}, {"base-fraction", required_argument, 0, O_BASE},
    {"surge-fraction", required_argument, 0, O_SURGE}, {"duration", required_argument, 0, O_DUR},
    {"max-requests", required_argument, 0, O_MAXREQ}, {"warmup", required_argument, 0, O_WARM},
    {"players", required_argument, 0, O_PLAYERS}, {"deposit", required_argument, 0, O_DEPOSIT},
    {"sessions", required_argument, 0, O_SESS}, {"window", required_argument, 0, O_WINDOW},
    {"con", no_argument, 0, O_CON}, {"timeout-ms", required_argument, 0, O_TIMEOUT},
    {"attempts", required_argument, 0, O_ATTEMPTS}, {"mix", required_argument, 0, O_MIX},
    {"quick-pick", required_argument, 0, O_QP}, {"advance", required_argument, 0, O_ADV},
    {"seed", required_argument, 0, O_SEED}, {"receipts", required_argument, 0, O_RECEIPTS},
    {"json", no_argument, 0, O_JSON}, {"progress", no_argument, 0, O_PROGRESS},
    {"catalog", required_argument, 0, O_CATALOG}, {"agent", required_argument, 0, O_AGENT},
    {"terminal", required_argument, 0, O_TERMINAL}, {"help", no_argument, 0, O_HELP}, {0, 0, 0, 0}};

typedef struct cli {
    tsr_load_opts o;
    tsr_psk psk;
    const char *receipts;
    bool json;
} cli;

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo) || !(v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_mix(const char *s, unsigned mix[TSR_OP_COUNT_])
{
    memset(mix, 0, sizeof(unsigned) * TSR_OP_COUNT_);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        double w;
        if (!eq || !num(eq + 1, 0, 1000000, &w))
            return false;
        *eq = '\0';
        int op = 0;
        while (op < TSR_OP_COUNT_ && strcmp(item, tsr_load_op_name((tsr_load_op)op)) != 0)
            op++;
        if (op == TSR_OP_COUNT_)
            return false;
        mix[op] = (unsigned)w;
    }
    return true;
}

static bool parse_mode(const char *s, tsr_load_mode *m)
{
    if (strcmp(s, "open") == 0)
        *m = TSR_LOAD_OPEN;
    else if (strcmp(s, "closed") == 0)
        *m = TSR_LOAD_CLOSED;
    else if (strcmp(s, "day") == 0)
        *m = TSR_LOAD_DAY;
    else
        return false;
    return true;
}

/* One option; false with a message on stderr for a bad value. */
static bool apply_number(cli *c, int opt, const char *arg)
{
    tsr_load_opts *o = &c->o;
    double v;
    switch (opt) {
    case O_RATE: return num(arg, 0.001, 1e7, &o->rate);
    case O_CONC: if (!num(arg, 1, TSR_CLIENT_PENDING_MAX, &v)) return false; o->concurrency = (int)v; return true;
    case O_DAY: return num(arg, 1, 86400, &o->day_s);
    case O_PEAK: return num(arg, 0.001, 1e7, &o->peak);
    case O_BASE: return num(arg, 0.0001, 0.9999, &o->base_fraction);
    case O_SURGE: return num(arg, 0.0001, 0.9999, &o->surge_fraction);
    case O_DUR: return num(arg, 0.001, TSR_LOAD_DURATION_MAX_S, &o->duration_s);
    case O_MAXREQ: if (!num(arg, 1, 1e9, &v)) return false; o->max_requests = (uint64_t)v; return true;
    case O_WARM: return num(arg, 0, TSR_LOAD_DURATION_MAX_S, &o->warmup_s);
    case O_PLAYERS: if (!num(arg, 1, TSR_LOAD_PLAYERS_MAX, &v)) return false; o->players = (int)v; return true;
    case O_SESS: if (!num(arg, 1, TSR_CLIENT_SESSIONS_MAX, &v)) return false; o->sessions = (int)v; return true;
    case O_WINDOW: if (!num(arg, 1, TSR_CLIENT_PENDING_MAX, &v)) return false; o->window = (int)v; return true;
    case O_TIMEOUT: if (!num(arg, 1, 600000, &v)) return false; o->timeout_ms = (int64_t)v; return true;
    case O_ATTEMPTS: if (!num(arg, 1, TSR_CLIENT_ATTEMPTS_MAX, &v)) return false; o->attempts = (int)v; return true;
    case O_QP: if (!num(arg, 0, 100, &v)) return false; o->quick_pick_pct = (int)v; return true;
    case O_ADV: if (!num(arg, 0, 100, &v)) return false; o->advance_pct = (int)v; return true;
    case O_SEED: if (!num(arg, 0, 1e15, &v)) return false; o->seed = (uint64_t)v; return true;
    default: return false;
    }
}

static bool apply(cli *c, int opt, char *arg)
{
    tsr_load_opts *o = &c->o;
    switch (opt) {
    case O_TARGET:
        if (o->ntargets == TSR_LOAD_TARGETS_MAX)
            return false;
        o->targets[o->ntargets++] = arg;
        return true;
    case O_PSK:
        if (tsr_psk_read(arg, &c->psk) != TSR_OK)
            return false;
        o->psk = &c->psk;
        return true;
    case O_MODE: return parse_mode(arg, &o->mode);
    case O_DEPOSIT: return tsr_money_parse(arg, &o->deposit_cents) == TSR_OK && o->deposit_cents >= 0;
    case O_CON: o->confirmable = true; return true;
    case O_MIX: return parse_mix(arg, o->mix);
    case O_RECEIPTS: c->receipts = arg; return true;
    case O_CATALOG: o->catalog = arg; return true;
    case O_TERMINAL: o->terminal_id = arg; return true;
    case O_AGENT: {
        char *colon = strchr(arg, ':'); /* NAME:PIN, split in place (argv is ours) */
        if (!colon || colon == arg || !colon[1])
            return false;
        *colon = '\0';
        o->agent = arg;
        o->agent_pin = colon + 1;
        return true;
    }
    case O_JSON: c->json = true; return true;
    case O_PROGRESS: o->progress = stderr; return true;
    default: return apply_number(c, opt, arg);
    }
}

static const char *opt_name(int opt)
{
    for (const struct option *o = LONGOPTS; o->name; o++)
        if (o->val == opt)
            return o->name;
    return "?";
}

static int run(cli *c)
{
    FILE *rf = NULL;
    if (c->receipts && !(rf = fopen(c->receipts, "a"))) {
        fprintf(stderr, "tessera-load: cannot open receipts file %s\n", c->receipts);
        return EX_CANTCREAT;
    }
    static char rbuf[1 << 20]; /* receipts are written in big blocks, not per line */
    if (rf)
        setvbuf(rf, rbuf, _IOFBF, sizeof rbuf);
    c->o.receipts = rf;
    tsr_load_report rep;
    char err[256];
    tsr_status st = tsr_load_run(&c->o, &rep, err, sizeof err);
    if (rf && fclose(rf) != 0 && st == TSR_OK)
        st = TSR_ERR_IO;
    if (st != TSR_OK)
        fprintf(stderr, "tessera-load: %s: %s\n", tsr_status_str(st), err[0] ? err : tsr_status_name(st));
    if (st == TSR_OK && c->json) {
        json_t *j = tsr_load_report_json(&rep);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(j);
    } else if (st == TSR_OK) {
        tsr_load_report_print(&rep, stdout);
    }
    tsr_load_report_free(&rep);
    return tsr_status_exit_code(st);
}

int main(int argc, char **argv)
{
    static cli c;
    tsr_load_opts_default(&c.o);
    int opt;
    while ((opt = getopt_long(argc, argv, "", LONGOPTS, NULL)) != -1) {
        if (opt == O_HELP) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (opt == '?' || !apply(&c, opt, optarg)) {
            if (opt != '?')
                fprintf(stderr, "tessera-load: bad value for --%s: %s\n", opt_name(opt), optarg ? optarg : "");
            fputs(USAGE, stderr);
            return EX_USAGE;
        }
    }
    if (optind != argc || c.o.ntargets == 0) {
        fputs(USAGE, stderr);
        return EX_USAGE;
    }
    return run(&c);
}
