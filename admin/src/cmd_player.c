/*
 * `tessera player`: operator actions on a node's players and agents.
 *
 *   tessera player unlock --db FILE --id N          unlock after 3 failed logins
 *   tessera player kyc --db FILE --id N --state verified|rejected|pending
 *   tessera player agent-add --db FILE --terminal T --name NAME --pin PIN
 *   tessera player agent-unlock --db FILE --id N
 *   tessera player float --db FILE --terminal T --amount 100.00 --ref RECEIPT
 *
 * Each action is one transaction; the node may be running (SQLite WAL).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../node/src/agents.h"
#include "../../node/src/auth.h"
#include "../../node/src/players.h"
#include "../../node/src/store.h"
#include "tessera/admin.h"
#include "tessera/clock.h"

int tsr_cmd_player(int argc, char **argv);

typedef struct args {
    const char *db, *terminal, *name, *pin, *state, *amount, *ref;
    int64_t id;
} args;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tessera player unlock --db FILE --id N\n"
            "       tessera player kyc --db FILE --id N --state verified|rejected|pending\n"
            "       tessera player agent-add --db FILE --terminal T --name NAME --pin PIN\n"
            "       tessera player agent-unlock --db FILE --id N\n"
            "       tessera player float --db FILE --terminal T --amount 100.00 --ref RECEIPT\n");
}

static int parse(int argc, char **argv, args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"id", required_argument, NULL, 'i'},
        {"terminal", required_argument, NULL, 't'}, {"name", required_argument, NULL, 'n'},
        {"pin", required_argument, NULL, 'p'},      {"state", required_argument, NULL, 's'},
        {"amount", required_argument, NULL, 'a'},   {"ref", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    int c;
    char *end;
    memset(a, 0, sizeof *a);
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'i':
            a->id = strtoll(optarg, &end, 10);
            if (*end || a->id <= 0)
                return EX_USAGE;
            break;
        case 't': a->terminal = optarg; break;
        case 'n': a->name = optarg; break;
        case 'p': a->pin = optarg; break;
        case 's': a->state = optarg; break;
        case 'a': a->amount = optarg; break;
        case 'r': a->ref = optarg; break;
        default: return EX_USAGE;
        }
    }
    return a->db && optind == argc ? 0 : EX_USAGE;
}

static tsr_status agent_add(tsr_store_conn *c, const args *a, int64_t now)
{
    tsr_accounts_cfg cfg;
    char err[128], hash[TSR_SECRET_HASH_SIZE];
    int64_t id = 0;
    if (!a->terminal || !a->name || !a->pin)
        return TSR_ERR_USAGE;
    tsr_status st = tsr_auth_pin_check(a->pin);
    if (st == TSR_OK)
        st = tsr_accounts_cfg_load(NULL, &cfg, err, sizeof err);
    if (st == TSR_OK)
        st = tsr_auth_hash(&cfg, a->pin, hash);
    tsr_accounts_cfg_free(&cfg);
    if (st == TSR_OK)
        st = tsr_agents_add(c, a->terminal, a->name, hash, now, &id);
    if (st == TSR_OK)
        printf("agent %lld added on terminal %s\n", (long long)id, a->terminal);
    return st;
}

static tsr_status set_kyc(tsr_store_conn *c, const args *a)
{
    tsr_kyc_state k;
    if (!a->state || !a->id)
        return TSR_ERR_USAGE;
    if (strcmp(a->state, "verified") == 0)
        k = TSR_KYC_VERIFIED;
    else if (strcmp(a->state, "rejected") == 0)
        k = TSR_KYC_REJECTED;
    else if (strcmp(a->state, "pending") == 0)
        k = TSR_KYC_PENDING;
    else
        return TSR_ERR_USAGE;
    return tsr_players_set_kyc(c, a->id, k, "operator");
}

static tsr_status adjust_float(tsr_store_conn *c, const args *a, int64_t now)
{
    tsr_cents amount;
    if (!a->terminal || !a->amount || !a->ref)
        return TSR_ERR_USAGE;
    tsr_status st = tsr_money_parse(a->amount, &amount);
    if (st == TSR_OK)
        st = tsr_agents_float_adjust(c, a->terminal, amount, a->ref, now, NULL);
    return st;
}

static tsr_status run(tsr_store_conn *c, const char *action, const args *a, int64_t now)
{
    if (strcmp(action, "unlock") == 0)
        return a->id ? tsr_players_unlock(c, a->id) : TSR_ERR_USAGE;
    if (strcmp(action, "agent-unlock") == 0)
        return a->id ? tsr_agents_unlock(c, a->id) : TSR_ERR_USAGE;
    if (strcmp(action, "kyc") == 0)
        return set_kyc(c, a);
    if (strcmp(action, "agent-add") == 0)
        return agent_add(c, a, now);
    if (strcmp(action, "float") == 0)
        return adjust_float(c, a, now);
    return TSR_ERR_USAGE;
}

int tsr_cmd_player(int argc, char **argv)
{
    args a;
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || parse(argc, argv, &a) != 0) {
        usage(stderr);
        return EX_USAGE;
    }
    if (access(a.db, R_OK | W_OK) != 0)
        return tsr_admin_fail("player", TSR_ERR_NOT_FOUND, a.db);
    tsr_clock *clock;
    tsr_store *s;
    tsr_status st = tsr_clock_real_create(&clock);
    if (st != TSR_OK)
        return tsr_admin_fail("player", st, NULL);
    if ((st = tsr_store_open(&s, a.db, NULL)) != TSR_OK) {
        tsr_clock_destroy(clock);
        return tsr_admin_fail("player", st, a.db);
    }
    tsr_store_conn *c = tsr_store_writer(s);
    if ((st = tsr_store_exec(c, "BEGIN IMMEDIATE")) == TSR_OK) {
        st = run(c, argv[1], &a, tsr_clock_now_ns(clock));
        tsr_status end = tsr_store_exec(c, st == TSR_OK ? "COMMIT" : "ROLLBACK");
        if (st == TSR_OK)
            st = end;
    }
    tsr_store_close(s);
    tsr_clock_destroy(clock);
    if (st == TSR_ERR_USAGE) {
        usage(stderr);
        return EX_USAGE;
    }
    if (st != TSR_OK)
        return tsr_admin_fail("player", st, argv[1]);
    printf("player %s: ok\n", argv[1]);
    return 0;
}
