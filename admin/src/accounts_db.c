#include "accounts_db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Longest database path accepted (after %-escaping for the URI). */
#define URI_MAX 4096

/* "file:<path>?mode=ro|rw" with every byte outside the URI's unreserved
 * set %-escaped, so '?', '#' and '%' in a path stay part of the name. */
static tsr_status make_uri(const char *path, bool write, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("/._-~", *p);
        if (n + 4 >= len)
            return TSR_ERR_TOO_LONG;
        n += (size_t)snprintf(out + n, len - n, plain ? "%c" : "%%%02X", *p);
    }
    if (n + 9 >= len)
        return TSR_ERR_TOO_LONG;
    snprintf(out + n, len - n, "?mode=%s", write ? "rw" : "ro");
    return TSR_OK;
}

/* The schema version read on a throwaway read-only handle. */
static tsr_status probe_version(const char *uri_ro)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    int rc = sqlite3_open_v2(uri_ro, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (v < 0)
        return rc == SQLITE_NOTADB ? TSR_ERR_DB_NOT_NODE : TSR_ERR_IO;
    if (v > TSR_STORE_SCHEMA_VERSION)
        return TSR_ERR_DB_NEWER;
    return v == TSR_STORE_SCHEMA_VERSION ? TSR_OK : TSR_ERR_DB_NOT_NODE;
}

tsr_status tsr_admin_node_db_open(const char *path, bool write, tsr_store **out)
{
    char ro[URI_MAX], uri[URI_MAX];
    if (access(path, write ? R_OK | W_OK : R_OK) != 0)
        return TSR_ERR_NOT_FOUND;
    tsr_status st = make_uri(path, false, ro, sizeof ro);
    if (st == TSR_OK)
        st = make_uri(path, write, uri, sizeof uri);
    if (st != TSR_OK)
        return st;
    /* The store opens paths without SQLITE_OPEN_URI; URIs must be on for
     * the whole process, before SQLite initializes. Without them "file:..."
     * would name a new file in the working directory: refuse instead. */
    if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK)
        return TSR_ERR_INTERNAL;
    if ((st = probe_version(ro)) != TSR_OK)
        return st;
    if ((st = tsr_store_open(out, uri, NULL)) != TSR_OK)
        return st;
    if (sqlite3_db_readonly(tsr_store_conn_db(tsr_store_writer(*out)), "main") != !write) {
        tsr_store_close(*out);
        return TSR_ERR_INTERNAL;
    }
    return TSR_OK;
}

void tsr_admin_node_db_close(tsr_store *s)
{
    if (!s)
        return;
    tsr_store_conn *c = tsr_store_writer(s);
    int64_t n;
    /* tsr_store_close checkpoints with TRUNCATE. SQLite refuses to
     * checkpoint on a connection inside a transaction (SQLITE_LOCKED, at
     * once, no lock taken), so a read transaction left open turns that
     * checkpoint into a no-op; closing then rolls the read back, and
     * SQLite's own last-connection checkpoint only runs when no other
     * process (the node) has the database open. A read-only store could not
     * checkpoint anyway. */
    if (tsr_store_exec(c, "BEGIN") != TSR_OK ||
        tsr_store_query_int(c, "SELECT count(*) FROM sqlite_master", &n) != TSR_OK)
        fprintf(stderr, "tessera: could not hold a read transaction; closing may checkpoint\n");
    tsr_store_close(s);
}
