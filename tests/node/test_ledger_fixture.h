/*
 * Shared fixture of the accounts unit suites: a fresh node database (the
 * real store with both migrations) in a temp dir, a test clock, a seeded
 * RNG (seed printed), the accounts config with cheap Argon2id, and an open
 * transaction on the write connection, as the writer would hold.
 */
#ifndef TSR_TEST_LEDGER_FIXTURE_H
#define TSR_TEST_LEDGER_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../node/src/auth.h"
#include "../../node/src/ledger.h"
#include "../../node/src/players.h"
#include "../../node/src/store.h"
#include "tessera/clock.h"
#include "tessera/rng.h"
#include "tsr_test.h"

/* 2026-01-15T12:00:00Z: a Thursday, mid-day, far from any UTC day edge. */
#define FX_NOW (INT64_C(1768478400) * TSR_NS_PER_S)
#define FX_SEED UINT64_C(20260115)
#define FX_HOUR (3600 * TSR_NS_PER_S)
#define FX_DAY (24 * FX_HOUR)

typedef struct fx {
    char dir[256];
    tsr_store *store;
    tsr_store_conn *db;
    tsr_clock *clock;
    tsr_rng *rng;
    tsr_accounts_cfg cfg;
    tsr_accounts acc;
    int64_t now;
    char hash[TSR_SECRET_HASH_SIZE]; /* "correct horse" hashed once */
} fx;

static inline void fx_open_cfg(fx *f, const char *cfg_json)
{
    char path[300], err[256] = "";
    memset(f, 0, sizeof *f);
    tsr_test_tmpdir("accounts", f->dir, sizeof f->dir);
    snprintf(path, sizeof path, "%s/node.db", f->dir);
    ck_assert_int_eq(tsr_store_open(&f->store, path, NULL), TSR_OK);
    f->db = tsr_store_writer(f->store);
    ck_assert_int_eq(tsr_clock_test_create(&f->clock, FX_NOW), TSR_OK);
    fprintf(stderr, "accounts fixture: rng seed %llu\n", (unsigned long long)FX_SEED);
    ck_assert_int_eq(tsr_rng_seeded_create(&f->rng, FX_SEED), TSR_OK);
    json_error_t je;
    json_t *obj = json_loads(cfg_json ? cfg_json : "{\"pwhash_ops\": 1, \"pwhash_mem_kib\": 64}",
                             0, &je);
    ck_assert_ptr_nonnull(obj);
    tsr_status st = tsr_accounts_cfg_load(obj, &f->cfg, err, sizeof err);
    json_decref(obj);
    ck_assert_msg(st == TSR_OK, "config: %s", err);
    f->acc.cfg = &f->cfg;
    f->acc.env.clock = f->clock;
    f->acc.env.rng = f->rng;
    f->now = FX_NOW;
    ck_assert_int_eq(tsr_auth_hash(&f->cfg, "correct horse", f->hash), TSR_OK);
    ck_assert_int_eq(tsr_store_exec(f->db, "BEGIN"), TSR_OK);
}

static inline void fx_open(fx *f) { fx_open_cfg(f, NULL); }

static inline void fx_close(fx *f)
{
    ck_assert_int_eq(tsr_store_exec(f->db, "COMMIT"), TSR_OK);
    tsr_store_close(f->store);
    tsr_accounts_cfg_free(&f->cfg);
    tsr_clock_destroy(f->clock);
    tsr_rng_destroy(f->rng);
    tsr_test_rmtree(f->dir);
}

static inline void fx_reg(tsr_player_reg *r, const char *username, const char *doc,
                          const char *birth, const char *jurisdiction)
{
    memset(r, 0, sizeof *r);
    snprintf(r->username, sizeof r->username, "%s", username);
    snprintf(r->name, sizeof r->name, "Ada Lovelace");
    snprintf(r->birth_date, sizeof r->birth_date, "%s", birth);
    snprintf(r->address, sizeof r->address, "12 St James's Square, London");
    snprintf(r->jurisdiction, sizeof r->jurisdiction, "%s", jurisdiction);
    snprintf(r->document_no, sizeof r->document_no, "%s", doc);
}

/* Registers a verified adult and returns its id. */
static inline int64_t fx_player(fx *f, const char *username, const char *doc)
{
    tsr_player_reg r;
    tsr_player_info p;
    fx_reg(&r, username, doc, "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f->acc, f->db, &r, f->hash, f->now, &p), TSR_OK);
    ck_assert_int_eq(p.kyc, TSR_KYC_VERIFIED);
    return p.id;
}

/* Puts money in a player's wallet as a completed deposit would. */
static inline void fx_fund(fx *f, int64_t player_id, tsr_cents amount)
{
    char acct[TSR_LEDGER_NAME_SIZE], ref[32];
    static int n;
    snprintf(ref, sizeof ref, "fund-%d", ++n);
    ck_assert_int_eq(tsr_ledger_player_account(acct, player_id), TSR_OK);
    ck_assert_int_eq(tsr_ledger_transfer(f->db, "deposit", ref, f->now, "psp_clearing", acct,
                                         amount, NULL), TSR_OK);
}

static inline tsr_cents fx_balance(fx *f, const char *acct)
{
    tsr_cents b;
    ck_assert_int_eq(tsr_ledger_balance(f->db, acct, &b), TSR_OK);
    return b;
}

/* A retail ticket row of terminal for game (the columns the ledger check
 * and refunds read; the others placeholders), as the bet path writes with
 * its sale; its id is seq big-endian then zeros (fx_ticket_hex). */
static inline void fx_retail_ticket(fx *f, int64_t seq, const char *terminal, const char *game,
                             tsr_cents stake)
{
    sqlite3_stmt *s;
    sqlite3 *db = tsr_store_conn_db(f->db);
    ck_assert_int_eq(sqlite3_prepare_v2(db,
        "INSERT INTO tickets(id, seq, serial, check_code, game, draw, channel, terminal_id, "
        "bet_id, bet, stake_cents, accepted_at_ns, bytes, sig, leaf) VALUES "
        "(?1, ?2, 'n-' || ?2, 1, ?3, 7, 2, ?4, x'00', x'00', ?5, ?6, x'00', x'', x'00')",
        -1, &s, NULL), SQLITE_OK);
    uint8_t id[16] = {0};
    for (int k = 0; k < 8; k++)
        id[k] = (uint8_t)((uint64_t)seq >> (56 - 8 * k));
    sqlite3_bind_blob(s, 1, id, sizeof id, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, seq);
    sqlite3_bind_text(s, 3, game, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, stake);
    sqlite3_bind_int64(s, 6, f->now);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
}

/* The hex id of the ticket fx_retail_ticket wrote for seq. */
static inline void fx_ticket_hex(int64_t seq, char out[33])
{
    snprintf(out, 33, "%016llx0000000000000000", (unsigned long long)seq);
}

static inline void fx_ledger_ok(fx *f)
{
    tsr_ledger_report r;
    tsr_status st = tsr_ledger_check(f->db, &r);
    ck_assert_msg(st == TSR_OK, "ledger check: %s tx=%lld account=%s", tsr_status_name(st),
                  (long long)r.bad_tx_id, r.bad_account);
}

#endif
