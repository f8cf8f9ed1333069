/*
 * `tessera ledger-check --db FILE`: verifies a node's double-entry ledger —
 * every transaction has two or more entries summing to zero, every stored
 * balance equals the sum of its entries, no wallet, agent float or payable
 * is negative. Read-only in effect (opening the store recovers its WAL, as
 * after a crash). Exit 0 when the ledger is sound, EX_SOFTWARE when it is
 * not, EX_NOINPUT when the file is missing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../node/src/ledger.h"
#include "../../node/src/store.h"
#include "accounts_db.h"
#include "tessera/admin.h"

int tsr_cmd_ledger_check(int argc, char **argv);

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera ledger-check --db FILE\n"
                "Verifies that every ledger entry balances and no balance with a floor is negative.\n");
}

static int report(tsr_status st, const tsr_ledger_report *r)
{
    char detail[160];
    if (st == TSR_OK) {
        printf("ledger ok: %lld transactions, %lld entries, %lld accounts\n",
               (long long)r->tx_count, (long long)r->entry_count, (long long)r->account_count);
        return 0;
    }
    if (st == TSR_ERR_LEDGER_UNBALANCED)
        snprintf(detail, sizeof detail, "transaction %lld", (long long)r->bad_tx_id);
    else if (st == TSR_ERR_LEDGER_DRIFT || st == TSR_ERR_LEDGER_NEGATIVE)
        snprintf(detail, sizeof detail, "account %s balance %lld", r->bad_account,
                 (long long)r->bad_balance);
    else
        detail[0] = '\0';
    return tsr_admin_fail("ledger-check", st, detail);
}

int tsr_cmd_ledger_check(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (!db || optind != argc) {
        usage(stderr);
        return EX_USAGE;
    }
    tsr_store *s;
    tsr_status st = tsr_admin_node_db_open(db, false, &s);
    if (st != TSR_OK)
        return tsr_admin_fail("ledger-check", st, db);
    tsr_store_conn *conn = tsr_store_writer(s);
    tsr_ledger_report r = {0};
    /* One read transaction: the balances and entries seen are one snapshot. */
    st = tsr_store_exec(conn, "BEGIN");
    if (st == TSR_OK) {
        st = tsr_ledger_check(conn, &r);
        tsr_status end = tsr_store_exec(conn, "COMMIT");
        (void)end;
    }
    tsr_admin_node_db_close(s);
    return report(st, &r);
}
