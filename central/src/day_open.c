/* scheduled -> open: the central seed, the witnesses' commitments and the
 * cutoff token that binds the draw to them (DESIGN.md "The draw"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

/* Asks every witness to commit; fills the token's commitments and a JSON
 * array of the signed commitments (kept for the record and the audit). */
static tsr_status witnesses_commit(tsr_day *d, const day_row *r, tsr_cutoff_token *t,
                                   json_t *list, char *why, size_t why_len)
{
    const tsr_day_witness_ops *w = &d->o.witnesses;
    if (w->count > TSR_WITNESS_MAX) {
        snprintf(why, why_len, "%zu witnesses configured, at most %d", w->count, TSR_WITNESS_MAX);
        return TSR_ERR_ARG;
    }
    for (size_t i = 0; i < w->count; i++) {
        tsr_witness_commitment c;
        char wwhy[TSR_DAY_WHY_MAX] = "";
        tsr_status st = w->commit(w->ctx, i, r->game, r->draw, &c, wwhy, sizeof wwhy);
        if (st == TSR_OK && (strcmp(c.game, r->game) != 0 || c.draw != r->draw)) {
            st = TSR_ERR_WITNESS_NOT_COMMITTED;
            snprintf(wwhy, sizeof wwhy, "it committed to %s draw %u", c.game, c.draw);
        }
        if (st != TSR_OK) {
            snprintf(why, why_len, "witness %zu did not commit: %s: %s", i, tsr_status_str(st),
                     wwhy);
            return st;
        }
        memcpy(t->witness_commitments[i], c.commitment, TSR_HASH_LEN);
        if (json_array_append_new(list, tsr_witness_commitment_to_json(&c)) != 0)
            return TSR_ERR_NOMEM;
    }
    t->witness_count = (uint8_t)w->count;
    return TSR_OK;
}

/* The signed token of r with seed commitment c. */
static tsr_status make_token(tsr_day *d, day_row *r, json_t *list, char *why, size_t why_len)
{
    tsr_cutoff_token t;
    memset(&t, 0, sizeof t);
    snprintf(t.game, sizeof t.game, "%s", r->game);
    t.draw = r->draw;
    t.sales_open_at_ns = r->sales_open_at_ns;
    t.cutoff_at_ns = r->cutoff_at_ns;
    t.results_at_ns = r->results_at_ns;
    t.issued_at_ns = day_now(d);
    tsr_seed_commit(r->seed, TSR_DRAW_SEED_LEN, t.seed_commitment);
    tsr_status st = witnesses_commit(d, r, &t, list, why, why_len);
    if (st == TSR_OK && (st = tsr_cutoff_token_sign(&t, d->o.authority_key)) != TSR_OK)
        snprintf(why, why_len, "the token cannot be signed (%s)", tsr_status_name(st));
    uint8_t packed[TSR_TOKEN_PACKED_MAX];
    size_t len = 0;
    if (st == TSR_OK)
        st = tsr_cutoff_token_pack(&t, packed, sizeof packed, &len);
    if (st == TSR_OK) {
        if (!(r->token = malloc(len)))
            return TSR_ERR_NOMEM;
        memcpy(r->token, packed, len);
        r->token_len = len;
    }
    return st;
}

/* Stores the open draw, its token message and the audit row at once. */
static tsr_status store_open(tsr_day *d, day_row *r, size_t n_witnesses)
{
    char id[TSR_SUBJECT_MAX], hex[TSR_HASH_HEX_SIZE];
    uint8_t c[TSR_HASH_LEN];
    snprintf(id, sizeof id, "%s-%u", r->game, r->draw);
    tsr_seed_commit(r->seed, TSR_DRAW_SEED_LEN, c);
    tsr_status st = day_begin(d);
    if (st != TSR_OK)
        return st;
    st = day_row_save(d, r);
    if (st == TSR_OK)
        st = day_msg_put(d, r->game, r->draw, NULL, TSR_CTL_TOKEN, 0, id, r->token, r->token_len);
    if (st == TSR_OK)
        st = day_audit(d, "open", r->game, r->draw,
                       json_pack("{s:s,s:i,s:I}", "seed_commitment",
                                 tsr_hex_encode(hex, sizeof hex, c, sizeof c), "witnesses",
                                 (int)n_witnesses, "cutoff_at_ns", (json_int_t)r->cutoff_at_ns));
    if (st != TSR_OK) {
        day_rollback(d);
        return st;
    }
    return day_commit(d);
}

tsr_status day_do_open(tsr_day *d, day_row *r, char *why, size_t why_len)
{
    if (r->cancelled) { /* a draw cancelled before it opened never sells */
        r->state = TSR_DAY_OPEN;
        tsr_status st = day_begin(d);
        st = st ? st : day_row_save(d, r);
        st = st ? st : day_audit(d, "open_skipped_cancelled", r->game, r->draw, NULL);
        if (st != TSR_OK) {
            day_rollback(d);
            return st;
        }
        return day_commit(d);
    }
    if (day_now(d) >= r->cutoff_at_ns) {
        snprintf(why, why_len, "the cutoff has passed before the draw opened: cancel it");
        return TSR_ERR_DAY_WAITING;
    }
    /* A fresh seed every attempt: nothing was published before this
     * transition commits, so an attempt that failed leaves no trace. */
    tsr_status st = tsr_draw_seed_new(d->o.env->rng, r->seed);
    if (st != TSR_OK) {
        snprintf(why, why_len, "the draw seed needs the real CSPRNG (%s)", tsr_status_name(st));
        return st;
    }
    r->has_seed = true;
    json_t *list = json_array();
    if (!list)
        return TSR_ERR_NOMEM;
    st = make_token(d, r, list, why, why_len);
    if (st == TSR_OK && !(r->commitments = json_dumps(list, JSON_COMPACT)))
        st = TSR_ERR_NOMEM;
    json_decref(list);
    if (st != TSR_OK)
        return st;
    r->state = TSR_DAY_OPEN;
    if ((st = store_open(d, r, d->o.witnesses.count)) != TSR_OK)
        return st;
    if (d->o.central)
        return tsr_central_draw_add(d->o.central, r->game, r->draw, r->cutoff_at_ns);
    return tsr_central_draw_add_db(d->o.db_path, r->game, r->draw, r->cutoff_at_ns);
}
