/*
 * A slip presented at the till: `check` (is it a winner? nothing is paid),
 * `pay` (the prize in cash, once) and the lookup `receipt` uses.
 *
 * The slip is named as printed — the QR payload TSR1:<serial>:<check>, or
 * the serial and validation code typed — or by its ticket id. The serial
 * form goes to the node's claims routes (GET /v1/claims?serial=&check= and
 * POST /v1/claims {serial, check}), which find the ticket whichever
 * terminal of the node sold it: the node, not the till, decides that a
 * prize is paid exactly once. Wrong codes count against this terminal at
 * the node (a few and it must wait), so the terminal never guesses: it
 * sends what was scanned or typed.
 */
#include <stdlib.h>
#include <string.h>

#include "tessera/receipt.h"
#include "term_int.h"

#define TICKET_ID_LEN 32

/* A presented slip: its ticket id, or its serial and validation code. */
typedef struct slip {
    char ticket_id[TICKET_ID_LEN + 1]; /* "" for the serial form */
    char serial[TSR_QR_SERIAL_MAX];
    char check[TSR_QR_CHECK_MAX];
} slip;

static tsr_status read_slip(tsr_term *t, int argc, char **argv, slip *s)
{
    char payload[TSR_QR_PAYLOAD_MAX];
    memset(s, 0, sizeof *s);
    if (argc == 2 && term_is_ticket_id(argv[1])) {
        memcpy(s->ticket_id, argv[1], TICKET_ID_LEN);
        return TSR_OK;
    }
    if (argc == 2 && tsr_qr_parse(argv[1], s->serial, s->check) == TSR_OK)
        return TSR_OK;
    /* tsr_qr_payload checks both words as the QR reader does */
    if (argc == 3 && tsr_qr_payload(argv[1], argv[2], payload, sizeof payload) == TSR_OK &&
        tsr_qr_parse(payload, s->serial, s->check) == TSR_OK)
        return TSR_OK;
    return term_fail(t, TSR_ERR_USAGE, "%s",
                     "give a scanned QR payload (TSR1:SERIAL:CHECK), SERIAL CHECK, or a ticket id");
}

/* ---- the node's refusals, said for the till ------------------------------------------ */

/* What a ticket without a payable prize is, from the node's detail.state. */
static const char *state_text(const char *state)
{
    static const struct { const char *state, *text; } texts[] = {
        {"pending", "not yet drawn"},
        {"lost", "not a winner"},
        {"cancelled", "cancelled: the stake was refunded"},
        {"refunded", "not in the draw: the stake is refunded"},
        {"credited", "prize credited to the player's online wallet"},
    };
    for (size_t i = 0; state && i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(state, texts[i].state) == 0)
            return texts[i].text;
    return NULL;
}

/* Where a claim-centre prize is paid: the node's winner check names it
 * (only the serial form can ask). *where is owned, or NULL. */
static void claim_centre_of(tsr_term *t, const slip *s, json_t **where)
{
    char path[TERM_PATH_MAX], extra[96];
    tsr_reply rep;
    *where = NULL;
    if (s->ticket_id[0])
        return;
    snprintf(extra, sizeof extra, "serial=%s&check=%s", s->serial, s->check);
    term_path(t, "/v1/claims", extra, path, sizeof path);
    if (tsr_client_call(t->client, TSR_METHOD_GET, path, NULL, t->o.timeout_ms, &rep) == TSR_OK &&
        rep.status == TSR_OK && json_is_string(json_object_get(rep.body, "claim_centre")))
        *where = json_pack("{s:O,s:O}", "state", json_object_get(rep.body, "state"), "claim_centre",
                           json_object_get(rep.body, "claim_centre"));
    tsr_reply_clear(&rep);
}

static tsr_status refused_centre(tsr_term *t, const tsr_reply *rep, const slip *s, const char *tail)
{
    json_t *where = NULL;
    claim_centre_of(t, s, &where);
    const char *place = json_string_value(json_object_get(where, "claim_centre"));
    tsr_status st = term_fail_detail(t, rep->status, where, "NOT PAID here: the prize is paid at a claim centre%s%s%s",
                                     place ? ": go to " : " (check the slip by its QR for the address)",
                                     place ? place : "", tail);
    json_decref(where);
    return st;
}

static const char *str_or(const json_t *v) { return json_is_string(v) ? json_string_value(v) : "?"; }

/* Prints why the node refused a claim or a winner check; returns its status. */
static tsr_status claim_refused(tsr_term *t, const tsr_reply *rep, const slip *s)
{
    const json_t *d = json_object_get(rep->body, "detail");
    char tail[64];
    snprintf(tail, sizeof tail, " (%s, %d.%02d)", tsr_status_name(rep->status), rep->code / 100, rep->code % 100);
    const char *what = s->ticket_id[0] ? s->ticket_id : s->serial;
    switch (rep->status) {
    case TSR_ERR_CLAIM_PAID:
        return term_fail_detail(t, rep->status, d, "NOT PAID: ticket %s was already paid %s at terminal %s%s", what,
                                str_or(json_object_get(d, "paid_at_utc")), str_or(json_object_get(d, "terminal")), tail);
    case TSR_ERR_CLAIM_CENTRE:
        return refused_centre(t, rep, s, tail);
    case TSR_ERR_CLAIM_NO_PRIZE: {
        const char *text = state_text(json_string_value(json_object_get(d, "state")));
        return term_fail_detail(t, rep->status, d, "NOT PAID: ticket %s: %s%s", what, text ? text : rep->message, tail);
    }
    case TSR_ERR_CLAIM_CHECK:
        return term_fail_detail(t, rep->status, d,
                                "no ticket %s with validation code %s: read the code on the slip again "
                                "(the node counts wrong codes; a few more and this terminal must wait)%s",
                                s->serial, s->check, tail);
    case TSR_ERR_CLAIM_RATE:
        return term_fail_detail(t, rep->status, d,
                                "too many wrong validation codes at this terminal: no slip can be checked "
                                "or paid here for %lld s%s",
                                (long long)json_integer_value(json_object_get(d, "retry_after_s")), tail);
    default:
        return term_node_error(t, rep);
    }
}

/* A claims route; the node's refusals are told by claim_refused. body is
 * taken; *res owned on success. */
static tsr_status claims_call(tsr_term *t, tsr_method m, const slip *s, json_t *body, json_t **res)
{
    char path[TERM_PATH_MAX], extra[96] = "";
    if (m == TSR_METHOD_GET)
        snprintf(extra, sizeof extra, "serial=%s&check=%s", s->serial, s->check);
    term_path(t, "/v1/claims", extra, path, sizeof path);
    tsr_reply rep;
    tsr_status st = term_call(t, m, path, body, &rep);
    json_decref(body);
    if (st == TSR_OK && rep.status != TSR_OK)
        st = claim_refused(t, &rep, s);
    if (st == TSR_OK)
        *res = json_incref(rep.body);
    tsr_reply_clear(&rep);
    return st;
}

/* ---- receipt lookup ------------------------------------------------------------------ */

static tsr_status receipt_of_id(tsr_term *t, const char *id, json_t **out)
{
    char base[TERM_PATH_MAX];
    snprintf(base, sizeof base, "/v1/bets/%s", id);
    return term_simple(t, TSR_METHOD_GET, base, NULL, NULL, out);
}

tsr_status term_find_receipt(tsr_term *t, int argc, char **argv, json_t **out)
{
    slip s;
    tsr_status st = read_slip(t, argc, argv, &s);
    if (st != TSR_OK || s.ticket_id[0])
        return st != TSR_OK ? st : receipt_of_id(t, s.ticket_id, out);
    /* the winner check finds the ticket id of a serial and code */
    json_t *w = NULL;
    if ((st = claims_call(t, TSR_METHOD_GET, &s, NULL, &w)) != TSR_OK)
        return st;
    const char *id = json_string_value(json_object_get(w, "ticket_id"));
    st = id && term_is_ticket_id(id) ? receipt_of_id(t, id, out)
                                     : term_fail(t, TSR_ERR_PROTO, "%s", "the node's winner check names no ticket");
    json_decref(w);
    return st;
}

/* ---- check ------------------------------------------------------------------------------ */

static void print_check(tsr_term *t, const json_t *r)
{
    const char *state = json_string_value(json_object_get(r, "state"));
    char up[24] = "";
    for (size_t i = 0; state && state[i] && i + 1 < sizeof up; i++)
        up[i] = (char)(state[i] >= 'a' && state[i] <= 'z' ? state[i] - 'a' + 'A' : state[i] == '_' ? ' ' : state[i]);
    fprintf(term_out(t), "ticket %s  %s draw %lld  %s\n  %s\n", json_string_value(json_object_get(r, "serial")),
            json_string_value(json_object_get(r, "game")), (long long)json_integer_value(json_object_get(r, "draw")),
            up, json_string_value(json_object_get(r, "message")));
    if (state && strcmp(state, "claim_centre") == 0)
        fprintf(term_out(t), "  do not pay at the till: the customer claims the prize there\n");
}

/* The serial and code of a ticket id sold at this terminal (its receipt). */
static tsr_status slip_of_id(tsr_term *t, slip *s)
{
    json_t *r = NULL;
    tsr_status st = receipt_of_id(t, s->ticket_id, &r);
    if (st != TSR_OK)
        return st;
    const char *serial = json_string_value(json_object_get(r, "serial"));
    const char *check = json_string_value(json_object_get(r, "check"));
    char payload[TSR_QR_PAYLOAD_MAX];
    if (!serial || !check || tsr_qr_payload(serial, check, payload, sizeof payload) != TSR_OK ||
        tsr_qr_parse(payload, s->serial, s->check) != TSR_OK)
        st = term_fail(t, TSR_ERR_PROTO, "the node's receipt of %s lacks a usable serial or code", s->ticket_id);
    json_decref(r);
    return st;
}

tsr_status term_cmd_check(tsr_term *t, int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return term_fail(t, TSR_ERR_USAGE, "%s", "usage: check QR|SERIAL CHECK|TICKET");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    slip s;
    tsr_status st = read_slip(t, argc, argv, &s);
    if (st == TSR_OK && s.ticket_id[0])
        st = slip_of_id(t, &s);
    s.ticket_id[0] = '\0'; /* the winner check asks by serial and code */
    json_t *res = NULL;
    if (st == TSR_OK)
        st = claims_call(t, TSR_METHOD_GET, &s, NULL, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_check);
    return st;
}

/* ---- pay ------------------------------------------------------------------------------------ */

static void print_paid(tsr_term *t, const json_t *r)
{
    char money[TSR_MONEY_STR_MAX];
    const char *serial = json_string_value(json_object_get(r, "serial"));
    tsr_money_format(json_integer_value(json_object_get(r, "amount")), money, sizeof money);
    fprintf(term_out(t), "PAID ticket %s: hand over %s in cash\n",
            serial ? serial : json_string_value(json_object_get(r, "ticket_id")), money);
}

tsr_status term_cmd_pay(tsr_term *t, int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return term_fail(t, TSR_ERR_USAGE, "%s", "usage: pay QR|SERIAL CHECK|TICKET");
    if (term_need_login(t))
        return TSR_ERR_UNAUTHENTICATED;
    slip s;
    tsr_status st = read_slip(t, argc, argv, &s);
    if (st != TSR_OK)
        return st;
    /* a new key per pay command, kept across this command's retries: a
     * retry after a lost answer gets the original answer back, while a
     * second `pay` of the same slip is a new claim the node refuses — so
     * the till is never told twice to hand over the cash */
    uint8_t raw[TERM_KEY_LEN / 2];
    char key[TERM_KEY_LEN + 1];
    tsr_rng_bytes(t->rng, raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(key + 2 * i, 3, "%02x", raw[i]);
    json_t *body = s.ticket_id[0]
                       ? json_pack("{s:s,s:s}", "ticket_id", s.ticket_id, "idempotency_key", key)
                       : json_pack("{s:s,s:s,s:s}", "serial", s.serial, "check", s.check, "idempotency_key", key);
    json_t *res = NULL;
    st = claims_call(t, TSR_METHOD_POST, &s, body, &res);
    if (st == TSR_OK)
        term_ok(t, res, print_paid);
    return st;
}
