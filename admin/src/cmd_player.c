/*
 * `tessera player`: operator actions on a node's players and agents.
 *
 *   tessera player unlock --db FILE --id N          unlock after 3 failed logins
 *   tessera player kyc --db FILE --id N --state verified|rejected|pending
 *   tessera player agent-add --db FILE --terminal T --name NAME --pin PIN
 *   tessera player agent-unlock --db FILE --id N
 *   tessera player float --db FILE --terminal T --amount 100.00 --ref RECEIPT
 *   tessera player payout --db FILE (--ticket ID | --serial S) --amount 15.00
 *                         [--withheld 0.00] [--claim-centre] [--ref PAYOUT_ID]
 *
 * Each action is one short transaction with its audit row (event
 * "operator_<action>", the arguments and the operator's uid), so the
 * node may be running: the database is opened without migrating or
 * checkpointing (accounts_db.h) and SQLite's busy timeout waits for the
 * node's group commit in progress.
 *
 * `payout` is for tests and demos only, where no central settles draws: a
 * real node books prizes from central's signed payout batches (sync
 * module). It books exactly what tsr_payout_apply books for them, once per
 * ticket, and says OPERATOR in its audit row.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../node/src/agents.h"
#include "../../node/src/auth.h"
#include "../../node/src/claims.h"
#include "../../node/src/players.h"
#include "../../node/src/store.h"
#include "accounts_db.h"
#include "tessera/admin.h"
#include "tessera/clock.h"

int tsr_cmd_player(int argc, char **argv);

typedef struct args {
    const char *db, *terminal, *name, *pin, *state, *amount, *ref, *ticket, *serial, *withheld;
    bool claim_centre;
    int64_t id;
} args;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tessera player unlock --db FILE --id N\n"
            "       tessera player kyc --db FILE --id N --state verified|rejected|pending\n"
            "       tessera player agent-add --db FILE --terminal T --name NAME --pin PIN\n"
            "       tessera player agent-unlock --db FILE --id N\n"
            "       tessera player float --db FILE --terminal T --amount 100.00 --ref RECEIPT\n"
            "       tessera player payout --db FILE (--ticket ID | --serial S) --amount 15.00\n"
            "                             [--withheld 0.00] [--claim-centre] [--ref PAYOUT_ID]\n"
            "         (OPERATOR ONLY, tests and demos without central: books a prize for a\n"
            "          ticket this node sold; real prizes come from central's payout batches)\n");
}

static int parse(int argc, char **argv, args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},       {"id", required_argument, NULL, 'i'},
        {"terminal", required_argument, NULL, 't'}, {"name", required_argument, NULL, 'n'},
        {"pin", required_argument, NULL, 'p'},      {"state", required_argument, NULL, 's'},
        {"amount", required_argument, NULL, 'a'},   {"ref", required_argument, NULL, 'r'},
        {"ticket", required_argument, NULL, 'k'},   {"serial", required_argument, NULL, 'e'},
        {"withheld", required_argument, NULL, 'w'}, {"claim-centre", no_argument, NULL, 'c'},
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
        case 'k': a->ticket = optarg; break;
        case 'e': a->serial = optarg; break;
        case 'w': a->withheld = optarg; break;
        case 'c': a->claim_centre = true; break;
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

/* The ticket named by --ticket (32 hex) or --serial, sold by this node:
 * its hex id and its online player (0 for retail). */
static tsr_status payout_ticket(tsr_store_conn *c, const args *a, char id_hex[33], int64_t *player)
{
    static const char by_id[] = "SELECT id, coalesce(player_id, 0) FROM tickets WHERE id = ?1";
    static const char by_serial[] =
        "SELECT id, coalesce(player_id, 0) FROM tickets WHERE serial = ?1";
    uint8_t id[TSR_TICKET_ID_LEN];
    sqlite3_stmt *s;
    if (!a->ticket == !a->serial ||
        (a->ticket && tsr_hex_decode(id, sizeof id, a->ticket) != TSR_OK))
        return TSR_ERR_USAGE;
    tsr_status st = tsr_store_stmt(c, a->ticket ? by_id : by_serial, &s);
    if (st != TSR_OK)
        return st;
    if (a->ticket)
        sqlite3_bind_blob(s, 1, id, sizeof id, SQLITE_STATIC);
    else
        sqlite3_bind_text(s, 1, a->serial, -1, SQLITE_STATIC);
    st = TSR_ERR_NOT_FOUND;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == TSR_TICKET_ID_LEN) {
        tsr_hex_encode(id_hex, 33, sqlite3_column_blob(s, 0), TSR_TICKET_ID_LEN);
        *player = sqlite3_column_int64(s, 1);
        st = TSR_OK;
    }
    sqlite3_reset(s);
    return st;
}

static tsr_status book_payout(tsr_store_conn *c, const args *a, int64_t now)
{
    char ticket[33], pid[TSR_PAYOUT_ID_MAX + 1];
    tsr_cents gross = 0, withheld = 0;
    int64_t player = 0;
    bool applied = false;
    if (!a->amount)
        return TSR_ERR_USAGE;
    tsr_status st = payout_ticket(c, a, ticket, &player);
    if (st == TSR_OK)
        st = tsr_money_parse(a->amount, &gross);
    if (st == TSR_OK && a->withheld)
        st = tsr_money_parse(a->withheld, &withheld);
    if (st != TSR_OK)
        return st;
    snprintf(pid, sizeof pid, "%s", a->ref ? a->ref : "");
    if (!a->ref)
        snprintf(pid, sizeof pid, "operator-%s", ticket);
    tsr_node_payout p = {pid, ticket, player, gross, withheld,
                    a->claim_centre ? TSR_NODE_PAYOUT_CLAIM_CENTRE : TSR_NODE_PAYOUT_AUTO};
    st = tsr_payout_apply(c, &p, now, &applied);
    if (st == TSR_OK)
        printf("payout %s for ticket %s: %s\n", pid, ticket,
               applied ? "booked" : "already booked, nothing changed");
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
    if (strcmp(action, "payout") == 0)
        return book_payout(c, a, now);
    return TSR_ERR_USAGE;
}

/* The audit row of an operator action: what, with which arguments (never
 * the PIN), by which local user. */
static tsr_status audit(tsr_store_txn *t, const char *action, const args *a)
{
    char event[48];
    snprintf(event, sizeof event, "operator_%s", action);
    json_t *ev = json_pack("{s:s, s:I}", "action", action, "uid", (json_int_t)getuid());
    const char *keys[] = {"terminal", "name", "state", "amount", "ref", "ticket", "serial", "withheld"};
    const char *vals[] = {a->terminal, a->name, a->state, a->amount, a->ref, a->ticket, a->serial,
                          a->withheld};
    for (size_t i = 0; ev && i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i])
            json_object_set_new(ev, keys[i], json_string(vals[i]));
    if (ev && a->id)
        json_object_set_new(ev, "id", json_integer(a->id));
    if (ev && a->claim_centre)
        json_object_set_new(ev, "claim_centre", json_true());
    tsr_status st = ev ? tsr_audit_append(t, event, ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return st;
}

/* One transaction: the action and its audit row commit together. */
static tsr_status run_audited(tsr_store *s, const char *action, const args *a, tsr_clock *clock)
{
    tsr_env env = {clock, NULL, NULL};
    tsr_store_txn *t;
    tsr_status st = tsr_store_txn_begin(s, &env, &t);
    if (st != TSR_OK)
        return st;
    st = run(tsr_store_txn_conn(t), action, a, tsr_store_txn_now(t).now_ns);
    if (st == TSR_OK)
        st = audit(t, action, a);
    if (st != TSR_OK) {
        tsr_store_txn_abort(t);
        return st;
    }
    return tsr_store_txn_commit(t);
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
    tsr_clock *clock;
    tsr_store *s;
    tsr_status st = tsr_clock_real_create(&clock);
    if (st != TSR_OK)
        return tsr_admin_fail("player", st, NULL);
    if ((st = tsr_admin_node_db_open(a.db, true, &s)) != TSR_OK) {
        tsr_clock_destroy(clock);
        return tsr_admin_fail("player", st, a.db);
    }
    st = run_audited(s, argv[1], &a, clock);
    tsr_admin_node_db_close(s);
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
