/* JSON forms of tickets, seals and node receipts (see codec.h). Strict on
 * reading: exactly the documented fields, each of its type and range. */
#include <string.h>

#include "codec_int.h"
#include "crypto_int.h"
#include "tessera/codec.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

/* Readers below chain `st = st ? st : next(...)`: TSR_OK is 0, so the first
 * failure sticks and later fields are not read. */

/* Builds an object from key/value pairs; NULL (releasing everything) when
 * any value is NULL. Takes every value. */
static json_t *object_of(const char *const *keys, json_t **values, size_t n)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    for (size_t i = 0; i < n; i++) {
        if (ok)
            ok = tsr_sj_set(o, keys[i], values[i]); /* takes values[i] either way */
        else
            json_decref(values[i]);
    }
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static const char *channel_name(uint8_t c)
{
    return c == TSR_CHANNEL_ONLINE ? "online" : c == TSR_CHANNEL_RETAIL ? "retail" : NULL;
}

static const char *const ticket_fields[] = {"id",    "node",        "seq",   "game",
                                            "draw",  "channel",     "bet",   "stake_cents",
                                            "accepted_at_ns", "serial", "check"};
#define N_TICKET_FIELDS (sizeof ticket_fields / sizeof ticket_fields[0])

json_t *tsr_ticket_to_json(const tsr_ticket *t)
{
    const char *ch = channel_name(t->channel);
    if (t->seq > INT64_MAX || t->bet_len > TSR_BET_MAX || !ch)
        return NULL;
    json_t *v[N_TICKET_FIELDS] = {
        tsr_sj_hexval(t->id, sizeof t->id), json_string(t->node),
        json_integer((json_int_t)t->seq),   json_string(t->game),
        json_integer(t->draw),              json_string(ch),
        tsr_sj_hexval(t->bet, t->bet_len),  json_integer(t->stake_cents),
        json_integer(t->accepted_at_ns),    json_string(t->serial),
        json_integer(t->check)};
    return object_of(ticket_fields, v, N_TICKET_FIELDS);
}

/* The channel by name. */
static tsr_status read_channel(const json_t *j, uint8_t *out)
{
    char name[16];
    tsr_status st = tsr_sj_str(j, "channel", name, sizeof name);
    if (st == TSR_ERR_TOO_LONG)
        st = TSR_ERR_RANGE;
    if (st != TSR_OK)
        return st;
    *out = strcmp(name, "online") == 0 ? TSR_CHANNEL_ONLINE
           : strcmp(name, "retail") == 0 ? TSR_CHANNEL_RETAIL : 0;
    return *out ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_ticket_from_json(const json_t *j, tsr_ticket *out)
{
    int64_t seq = 0, draw = 0, check = 0;
    size_t bet_len = 0;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, ticket_fields, N_TICKET_FIELDS);
    st = st ? st : tsr_sj_hex(j, "id", out->id, sizeof out->id);
    st = st ? st : tsr_sj_str(j, "node", out->node, sizeof out->node);
    st = st ? st : tsr_sj_int(j, "seq", 1, INT64_MAX, &seq);
    st = st ? st : tsr_sj_str(j, "game", out->game, sizeof out->game);
    st = st ? st : tsr_sj_int(j, "draw", 0, U32_MAX_I64, &draw);
    st = st ? st : read_channel(j, &out->channel);
    st = st ? st : tsr_sj_hex_max(j, "bet", out->bet, TSR_BET_MAX, &bet_len);
    st = st ? st : tsr_sj_int(j, "stake_cents", 0, INT64_MAX, &out->stake_cents);
    st = st ? st : tsr_sj_int(j, "accepted_at_ns", INT64_MIN, INT64_MAX, &out->accepted_at_ns);
    st = st ? st : tsr_sj_str(j, "serial", out->serial, sizeof out->serial);
    st = st ? st : tsr_sj_int(j, "check", 0, U32_MAX_I64, &check);
    out->seq = (uint64_t)seq;
    out->draw = (uint32_t)draw;
    out->bet_len = (uint16_t)bet_len;
    out->check = (uint32_t)check;
    st = st ? st : tsr_codec_check_ticket(out);
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}

static const char *const seal_fields[] = {"node",     "game",      "draw",
                                          "count",    "stake_total_cents", "first_seq",
                                          "last_seq", "merkle_root", "sealed_at_ns"};
#define N_SEAL_FIELDS (sizeof seal_fields / sizeof seal_fields[0])

json_t *tsr_seal_to_json(const tsr_seal *s)
{
    if (s->count > INT64_MAX || s->first_seq > INT64_MAX || s->last_seq > INT64_MAX)
        return NULL;
    json_t *v[N_SEAL_FIELDS] = {json_string(s->node),
                                json_string(s->game),
                                json_integer(s->draw),
                                json_integer((json_int_t)s->count),
                                json_integer(s->stake_total_cents),
                                json_integer((json_int_t)s->first_seq),
                                json_integer((json_int_t)s->last_seq),
                                tsr_sj_hexval(s->merkle_root, sizeof s->merkle_root),
                                json_integer(s->sealed_at_ns)};
    return object_of(seal_fields, v, N_SEAL_FIELDS);
}

tsr_status tsr_seal_from_json(const json_t *j, tsr_seal *out)
{
    int64_t draw = 0, count = 0, first = 0, last = 0;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, seal_fields, N_SEAL_FIELDS);
    st = st ? st : tsr_sj_str(j, "node", out->node, sizeof out->node);
    st = st ? st : tsr_sj_str(j, "game", out->game, sizeof out->game);
    st = st ? st : tsr_sj_int(j, "draw", 0, U32_MAX_I64, &draw);
    st = st ? st : tsr_sj_int(j, "count", 0, INT64_MAX, &count);
    st = st ? st : tsr_sj_int(j, "stake_total_cents", 0, INT64_MAX, &out->stake_total_cents);
    st = st ? st : tsr_sj_int(j, "first_seq", 0, INT64_MAX, &first);
    st = st ? st : tsr_sj_int(j, "last_seq", 0, INT64_MAX, &last);
    st = st ? st : tsr_sj_hex(j, "merkle_root", out->merkle_root, sizeof out->merkle_root);
    st = st ? st : tsr_sj_int(j, "sealed_at_ns", INT64_MIN, INT64_MAX, &out->sealed_at_ns);
    out->draw = (uint32_t)draw;
    out->count = (uint64_t)count;
    out->first_seq = (uint64_t)first;
    out->last_seq = (uint64_t)last;
    st = st ? st : tsr_codec_check_seal(out);
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}

static const char *const receipt_fields[] = {"node", "up_to_seq", "chain", "issued_at_ns"};

json_t *tsr_node_receipt_to_json(const tsr_node_receipt *r)
{
    if (r->up_to_seq > INT64_MAX)
        return NULL;
    json_t *v[4] = {json_string(r->node), json_integer((json_int_t)r->up_to_seq),
                    tsr_sj_hexval(r->chain, sizeof r->chain), json_integer(r->issued_at_ns)};
    return object_of(receipt_fields, v, 4);
}

tsr_status tsr_node_receipt_from_json(const json_t *j, tsr_node_receipt *out)
{
    int64_t up_to = 0;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, receipt_fields, 4);
    st = st ? st : tsr_sj_str(j, "node", out->node, sizeof out->node);
    st = st ? st : tsr_sj_int(j, "up_to_seq", 0, INT64_MAX, &up_to);
    st = st ? st : tsr_sj_hex(j, "chain", out->chain, sizeof out->chain);
    st = st ? st : tsr_sj_int(j, "issued_at_ns", INT64_MIN, INT64_MAX, &out->issued_at_ns);
    out->up_to_seq = (uint64_t)up_to;
    st = st ? st : tsr_codec_check_node_receipt(out);
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}
