/*
 * `tessera audit-verify --db FILE`: recomputes a node's hash-chained audit
 * log (every row's hash = BLAKE2b-256(previous hash || canonical record))
 * and names the first row that does not verify. It opens the database
 * read-only and reads one snapshot, so it runs beside a live node (WAL
 * readers never block the writer nor see half a transaction). Exit 0 when
 * the chain is intact, EX_SOFTWARE naming the row when it is not,
 * EX_NOINPUT for a missing file, EX_CONFIG for a file that is not a node
 * database.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../node/src/store.h"
#include "tessera/admin.h"

int tsr_cmd_audit_verify(int argc, char **argv);

#define CMD "audit-verify"

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera audit-verify --db FILE\n"
                "Recomputes the node's audit hash chain; names the first row that breaks it.\n");
}

/* One integer from a constant query; DB_NOT_NODE when the SQL fails (not a
 * database, or no audit table). */
static tsr_status count_of(tsr_store_conn *c, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    sqlite3 *db = tsr_store_conn_db(c);
    tsr_status s = TSR_ERR_DB_NOT_NODE;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        s = TSR_OK;
    }
    sqlite3_finalize(st);
    return s;
}

static int verify(tsr_store_conn *c, const char *path)
{
    int64_t tables = 0, rows = 0, bad = 0;
    tsr_status s = count_of(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                               " AND name = 'audit'", &tables);
    if (s == TSR_OK && tables != 1)
        s = TSR_ERR_DB_NOT_NODE;
    if (s != TSR_OK)
        return tsr_admin_fail(CMD, s, path);
    /* One read transaction: the rows counted are the rows verified. */
    if ((s = tsr_store_exec(c, "BEGIN")) == TSR_OK &&
        (s = count_of(c, "SELECT count(*) FROM audit", &rows)) == TSR_OK)
        s = tsr_audit_verify(c, &bad);
    if (tsr_store_exec(c, "COMMIT") != TSR_OK && s == TSR_OK)
        s = TSR_ERR_IO;
    if (s == TSR_ERR_AUDIT_CHAIN) {
        char detail[64];
        snprintf(detail, sizeof detail, "row %lld", (long long)bad);
        return tsr_admin_fail(CMD, s, detail);
    }
    if (s != TSR_OK)
        return tsr_admin_fail(CMD, s, path);
    printf("audit ok: %lld records\n", (long long)rows);
    return 0;
}

int tsr_cmd_audit_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (ch == 'd') {
            path = optarg;
        } else if (ch == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return EX_USAGE;
    }
    if (access(path, R_OK) != 0)
        return tsr_admin_fail(CMD, TSR_ERR_NOT_FOUND, path);
    tsr_store_conn *c;
    tsr_status s = tsr_store_reader_open_path(path, NULL, &c);
    if (s != TSR_OK)
        return tsr_admin_fail(CMD, s, path);
    int rc = verify(c, path);
    tsr_store_reader_close(c);
    return rc;
}
