/* reconciled -> drawn: the manifest of the included seals (built once,
 * signed, stored and written before any seed is revealed), the witnesses'
 * reveals against it, and the signed record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "day_int.h"

/* Writes text to path atomically (temp file, fsync, rename), so a reader
 * never sees half a record. */
static tsr_status write_file(const char *path, const char *text)
{
    char tmp[DAY_PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return TSR_ERR_ARG;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return TSR_ERR_IO;
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return TSR_ERR_IO;
    }
    return TSR_OK;
}

static void out_path(const tsr_day *d, const char *what, const day_row *r, char *out,
                     size_t cap)
{
    snprintf(out, cap, "%s/%s-%s-%u.json", d->o.out_dir, what, r->game, r->draw);
}

/* Reads the seals of the included nodes (reconciled, not excluded). */
static tsr_status load_seals(tsr_day *d, const day_row *r, tsr_draw_seal **out, size_t *n)
{
    static const char *const sql =
        "SELECT n.node, s.signed FROM seals s JOIN nodes n USING(node_id)"
        " WHERE s.game=? AND s.draw=? AND s.state='reconciled' AND NOT EXISTS("
        "SELECT 1 FROM exclusions x WHERE x.node_id=s.node_id AND x.game=s.game"
        " AND x.draw=s.draw) ORDER BY n.node";
    *n = 0;
    if (!(*out = calloc(TSR_CENTRAL_NODES_MAX, sizeof **out)))
        return TSR_ERR_NOMEM;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->draw);
    int rc;
    while (s == TSR_OK && *n < TSR_CENTRAL_NODES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tsr_draw_seal *ds = &(*out)[*n];
        const uint8_t *b = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        s = tsr_keyring_find_name(d->o.node_keys, (const char *)sqlite3_column_text(st, 0),
                                  ds->node_pk);
        if (s == TSR_OK)
            s = len > TSR_SIG_LEN ? tsr_seal_decode(b, len - TSR_SIG_LEN, &ds->seal)
                                  : TSR_ERR_ENCODING;
        if (s == TSR_OK) {
            memcpy(ds->sig, b + len - TSR_SIG_LEN, TSR_SIG_LEN);
            (*n)++;
        }
    }
    sqlite3_reset(st);
    return s;
}

/* The manifest JSON, built and signed now. */
static tsr_status build_manifest(tsr_day *d, const day_row *r, char **json, char *why,
                                 size_t why_len)
{
    tsr_cutoff_token t;
    tsr_draw_seal *seals = NULL;
    size_t n = 0;
    tsr_draw_manifest *m = NULL;
    tsr_status st = tsr_cutoff_token_unpack(r->token, r->token_len, &t);
    if (st == TSR_OK)
        st = load_seals(d, r, &seals, &n);
    if (st == TSR_OK)
        st = tsr_draw_manifest_build(&m, &t, seals, n, why, why_len);
    if (st == TSR_OK)
        st = tsr_draw_manifest_sign(m, d->o.authority_key, day_now(d));
    json_t *j = st == TSR_OK ? tsr_draw_manifest_to_json(m) : NULL;
    if (st == TSR_OK && (!j || !(*json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))))
        st = TSR_ERR_NOMEM;
    if (st != TSR_OK && !why[0])
        snprintf(why, why_len, "the manifest cannot be built (%s)", tsr_status_name(st));
    json_decref(j);
    tsr_draw_manifest_destroy(m);
    free(seals);
    return st;
}

/* Builds, stores and audits the manifest the first time; afterwards the
 * stored one is used, because a witness reveals for one root only. */
static tsr_status ensure_manifest(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    if (r->manifest)
        return TSR_OK;
    char *json = NULL;
    tsr_status st = build_manifest(d, r, &json, why, why_len);
    if (st != TSR_OK)
        return st;
    r->manifest = json;
    if ((st = day_begin(d)) != TSR_OK)
        return st;
    st = day_row_save(d, r);
    st = st ? st : day_audit(d, "manifest", r->game, r->draw,
                             json_pack("{s:s}", "manifest_sha", "see manifest file"));
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

static tsr_status parse_manifest(const day_row *r, tsr_draw_manifest **m)
{
    json_error_t err;
    json_t *j = json_loads(r->manifest, 0, &err);
    if (!j)
        return TSR_ERR_JSON;
    tsr_status st = tsr_draw_manifest_from_json(j, m);
    json_decref(j);
    return st;
}

/* Every witness reveals against m (written at path). */
static tsr_status reveal_all(tsr_day *d, const tsr_draw_manifest *m, const char *path,
                             tsr_draw_witness *w, char *why, size_t why_len)
{
    const tsr_day_witness_ops *ops = &d->o.witnesses;
    for (size_t i = 0; i < ops->count; i++) {
        char wwhy[TSR_DAY_WHY_MAX] = "";
        tsr_status st = ops->reveal(ops->ctx, i, m, path, &w[i], wwhy, sizeof wwhy);
        if (st != TSR_OK) {
            snprintf(why, why_len, "witness %zu refused to reveal: %s (%s)%s%s", i,
                     tsr_status_str(st), tsr_status_name(st), wwhy[0] ? ": " : "", wwhy);
            return st;
        }
    }
    return TSR_OK;
}

/* The record from the stored manifest: reveals, numbers, signature. */
static tsr_status make_record(tsr_day *d, day_row *r, const char *mpath, char **json,
                              char *why, size_t why_len)
{
    const tsr_game *g = tsr_catalog_find(d->o.catalog, r->game);
    tsr_draw_shape shape;
    tsr_draw_manifest *m = NULL;
    tsr_draw_record *rec = NULL;
    tsr_draw_witness w[TSR_WITNESS_MAX];
    if (!g) {
        snprintf(why, why_len, "game %s is not in the catalogue", r->game);
        return TSR_ERR_GAME_UNKNOWN;
    }
    tsr_status st = tsr_draw_shape_for_game(g, &shape);
    st = st ? st : parse_manifest(r, &m);
    st = st ? st : reveal_all(d, m, mpath, w, why, why_len);
    if (st == TSR_OK) {
        st = tsr_draw_record_make(&rec, m, &shape, r->seed, w, d->o.witnesses.count,
                                  d->o.authority_key, day_now(d), why, why_len);
        m = NULL; /* the record took it */
    }
    json_t *j = st == TSR_OK ? tsr_draw_record_to_json(rec) : NULL;
    if (st == TSR_OK && (!j || !(*json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS))))
        st = TSR_ERR_NOMEM;
    json_decref(j);
    tsr_draw_record_destroy(rec);
    tsr_draw_manifest_destroy(m);
    return st;
}

tsr_status day_do_draw(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    char mpath[DAY_PATH_MAX], rpath[DAY_PATH_MAX];
    out_path(d, "manifest", r, mpath, sizeof mpath);
    out_path(d, "record", r, rpath, sizeof rpath);
    tsr_status st = ensure_manifest(d, r, why, why_len);
    /* The file is (re)written from the stored manifest: same bytes. */
    if (st == TSR_OK && (st = write_file(mpath, r->manifest)) != TSR_OK)
        snprintf(why, why_len, "cannot write %s: %s", mpath, strerror(errno));
    char *json = NULL;
    if (st == TSR_OK)
        st = make_record(d, r, mpath, &json, why, why_len);
    if (st == TSR_OK && (st = write_file(rpath, json)) != TSR_OK)
        snprintf(why, why_len, "cannot write %s: %s", rpath, strerror(errno));
    if (st != TSR_OK) {
        free(json);
        return st;
    }
    r->record = json;
    r->state = TSR_DAY_DRAWN;
    if ((st = day_begin(d)) != TSR_OK)
        return st;
    st = day_row_save(d, r);
    st = st ? st : day_audit(d, "drawn", r->game, r->draw, json_pack("{s:s}", "record", rpath));
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

tsr_status day_result_of(const tsr_game *g, const tsr_draw_numbers *n, tsr_draw_result *out)
{
    memset(out, 0, sizeof *out);
    uint32_t p = 0;
    const uint32_t *v = n->values[0];
    uint32_t main = g->family == TSR_FAMILY_FIXED ? 1 : n->len[0];
    if (n->pool_count < 1 || main > TSR_RESULT_MAIN_MAX)
        return TSR_ERR_GAME_RESULT;
    if (g->family == TSR_FAMILY_LOTTO && g->bonus)
        main = n->len[0] - 1;
    for (uint32_t i = 0; i < main; i++)
        out->main[out->main_count++] = (uint8_t)v[i];
    if (g->family == TSR_FAMILY_LOTTO && g->bonus)
        out->bonus[out->bonus_count++] = (uint8_t)v[main];
    p = 1;
    if (g->family == TSR_FAMILY_TWO_POOL) {
        if (n->pool_count < 2)
            return TSR_ERR_GAME_RESULT;
        out->bonus[out->bonus_count++] = (uint8_t)n->values[1][0];
        p = 2;
    }
    if ((g->addons & TSR_ADDON_MULTIPLIER) && g->n_multipliers > 0) {
        if (n->pool_count <= p || n->values[p][0] >= g->n_multipliers)
            return TSR_ERR_GAME_RESULT;
        out->multiplier = g->multipliers[n->values[p][0]];
    }
    return tsr_settle_check_result(g, out);
}
