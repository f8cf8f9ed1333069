/* JSON forms of the manifest, its seals and the witness entries. */
#include <stdlib.h>
#include <string.h>

#include "draw_int.h"

#define MANIFEST_TYPE "tessera-draw-manifest"

static json_t *seal_to_json(const tsr_draw_seal *ds)
{
    json_t *o = json_object();
    bool ok = tsr_dj_set(o, "seal", tsr_seal_to_json(&ds->seal)) &&
              tsr_dj_set(o, "node_pk", tsr_dj_hexval(ds->node_pk, TSR_PK_LEN)) &&
              tsr_dj_set(o, "sig", tsr_dj_hexval(ds->sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static tsr_status seal_from_json(const json_t *j, tsr_draw_seal *out)
{
    static const char *const keys[] = {"seal", "node_pk", "sig", NULL};
    tsr_status st = tsr_dj_keys(j, keys);
    const json_t *s = json_object_get(j, "seal");
    if (st == TSR_OK && !s)
        st = TSR_ERR_FIELD_MISSING;
    if (st == TSR_OK)
        st = tsr_seal_from_json(s, &out->seal);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "node_pk", out->node_pk, TSR_PK_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "sig", out->sig, TSR_SIG_LEN);
    return st;
}

json_t *tsr_draw_manifest_to_json(const tsr_draw_manifest *m)
{
    json_t *o = json_object();
    json_t *seals = json_array();
    bool ok = o && seals;
    for (uint32_t i = 0; ok && i < m->seal_count; i++)
        ok = json_array_append_new(seals, seal_to_json(&m->seals[i])) == 0;
    ok = ok && tsr_dj_set(o, "type", json_string(MANIFEST_TYPE)) &&
         tsr_dj_set(o, "version", json_integer(TSR_CODEC_VERSION)) &&
         tsr_dj_set(o, "token", tsr_cutoff_token_to_json(&m->token)) &&
         tsr_dj_set(o, "seals", json_incref(seals)) &&
         tsr_dj_set(o, "root", tsr_dj_hexval(m->root, TSR_HASH_LEN)) &&
         tsr_dj_set(o, "published_at_ns", json_integer(m->published_at_ns)) &&
         tsr_dj_set(o, "authority_pk", tsr_dj_hexval(m->authority_pk, TSR_PK_LEN)) &&
         tsr_dj_set(o, "sig", tsr_dj_hexval(m->sig, TSR_SIG_LEN));
    json_decref(seals);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The type and version strings every draw object starts with. */
static tsr_status check_type(const json_t *j, const char *type)
{
    const char *t;
    uint32_t v;
    tsr_status st = tsr_dj_str(j, "type", &t);
    if (st != TSR_OK)
        return st;
    if (strcmp(t, type) != 0)
        return TSR_ERR_FIELD_TYPE;
    st = tsr_dj_u32(j, "version", &v);
    if (st != TSR_OK)
        return st;
    return v == TSR_CODEC_VERSION ? TSR_OK : TSR_ERR_VERSION;
}

static tsr_status seals_from_json(const json_t *j, tsr_draw_manifest *m)
{
    const json_t *arr;
    tsr_status st = tsr_dj_array(j, "seals", &arr);
    if (st != TSR_OK)
        return st;
    size_t n = json_array_size(arr);
    if (n > TSR_DRAW_SEALS_MAX)
        return TSR_ERR_TOO_LARGE;
    if (n && !(m->seals = calloc(n, sizeof *m->seals)))
        return TSR_ERR_NOMEM;
    m->seal_count = (uint32_t)n;
    for (size_t i = 0; i < n && st == TSR_OK; i++)
        st = seal_from_json(json_array_get(arr, i), &m->seals[i]);
    return st;
}

tsr_status tsr_draw_manifest_from_json(const json_t *j, tsr_draw_manifest **out)
{
    static const char *const keys[] = {"type", "version", "token", "seals", "root",
                                       "published_at_ns", "authority_pk", "sig", NULL};
    *out = NULL;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = check_type(j, MANIFEST_TYPE);
    if (st != TSR_OK)
        return st;
    tsr_draw_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return TSR_ERR_NOMEM;
    const json_t *tok = json_object_get(j, "token");
    st = tok ? tsr_cutoff_token_from_json(tok, &m->token) : TSR_ERR_FIELD_MISSING;
    if (st == TSR_OK)
        st = seals_from_json(j, m);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "root", m->root, TSR_HASH_LEN);
    if (st == TSR_OK)
        st = tsr_dj_i64(j, "published_at_ns", &m->published_at_ns);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "authority_pk", m->authority_pk, TSR_PK_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "sig", m->sig, TSR_SIG_LEN);
    if (st != TSR_OK) {
        tsr_draw_manifest_destroy(m);
        return st;
    }
    *out = m;
    return TSR_OK;
}

json_t *tsr_draw_witness_to_json(const tsr_draw_witness *w)
{
    char kid[TSR_KEY_ID_SIZE];
    tsr_key_id(w->pk, kid);
    json_t *o = json_object();
    bool ok = tsr_dj_set(o, "key_id", json_string(kid)) &&
              tsr_dj_set(o, "pk", tsr_dj_hexval(w->pk, TSR_PK_LEN)) &&
              tsr_dj_set(o, "commitment", tsr_dj_hexval(w->commitment, TSR_HASH_LEN)) &&
              tsr_dj_set(o, "commit_sig", tsr_dj_hexval(w->commit_sig, TSR_SIG_LEN)) &&
              tsr_dj_set(o, "seed", tsr_dj_hexval(w->seed, TSR_DRAW_SEED_LEN)) &&
              tsr_dj_set(o, "reveal_sig", tsr_dj_hexval(w->reveal_sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

tsr_status tsr_draw_witness_from_json(const json_t *j, tsr_draw_witness *out)
{
    static const char *const keys[] = {"key_id", "pk", "commitment", "commit_sig",
                                       "seed", "reveal_sig", NULL};
    memset(out, 0, sizeof *out);
    const char *kid;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "key_id", &kid);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "pk", out->pk, TSR_PK_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "commitment", out->commitment, TSR_HASH_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "commit_sig", out->commit_sig, TSR_SIG_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "seed", out->seed, TSR_DRAW_SEED_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "reveal_sig", out->reveal_sig, TSR_SIG_LEN);
    if (st == TSR_OK) {
        /* key_id is for readers; it must name the key it sits next to. */
        char want[TSR_KEY_ID_SIZE];
        tsr_key_id(out->pk, want);
        if (strcmp(want, kid) != 0)
            st = TSR_ERR_DRAW_MISMATCH;
    }
    return st;
}
