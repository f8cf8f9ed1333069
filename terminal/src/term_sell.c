/*
 * Selling: build the bet from the command line, confirm large sales, keep
 * the sale pending in the state file until the node's answer is known, and
 * print the receipts. See the header of tessera/terminal.h for why a sale
 * without an answer is never printed and never guessed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tessera/receipt.h"
#include "term_int.h"

/* ---- the bet from the command line ---------------------------------------------- */

static bool int_word(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "1,2,3" or "7" into a JSON array of integers. */
static json_t *int_list(const char *s)
{
    json_t *a = json_array();
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        long v;
        if (!int_word(w, 0, 99, &v)) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_integer(v));
    }
    return a;
}

/* One "key=value" option of sell; false for a bad one. */
static bool bet_option(json_t *bet, const char *w, bool *yes)
{
    long v;
    tsr_cents c;
    if (strcmp(w, "qp") == 0)
        return json_object_set_new(bet, "quick_pick", json_true()) == 0;
    if (strcmp(w, "yes") == 0)
        return (*yes = true);
    if (strncmp(w, "second=", 7) == 0) {
        json_t *a = int_list(w + 7);
        return a && json_object_set_new(bet, "second", a) == 0;
    }
    if (strncmp(w, "spots=", 6) == 0)
        return int_word(w + 6, 1, 99, &v) && json_object_set_new(bet, "spots", json_integer(v)) == 0;
    if (strncmp(w, "draws=", 6) == 0)
        return int_word(w + 6, 1, 999, &v) && json_object_set_new(bet, "draws", json_integer(v)) == 0;
    if (strncmp(w, "stake=", 6) == 0)
        return tsr_money_parse(w + 6, &c) == TSR_OK && c > 0 &&
               json_object_set_new(bet, "stake", json_string(w + 6)) == 0;
    return false;
}

static json_t *parse_bet(int argc, char **argv, bool *yes, const char **bad)
{
    json_t *bet = json_pack("{s:s}", "type", argv[2]);
    json_t *numbers = json_array();
    for (int i = 3; bet && i < argc; i++) {
        long v;
        if (int_word(argv[i], 0, 99, &v)) {
            json_array_append_new(numbers, json_integer(v));
        } else if (!bet_option(bet, argv[i], yes)) {
            *bad = argv[i];
            json_decref(bet);
            bet = NULL;
        }
    }
    if (bet && json_array_size(numbers))
        json_object_set(bet, "numbers", numbers);
    json_decref(numbers);
    return bet;
}

/* ---- the amount to confirm ------------------------------------------------------- */

static tsr_cents money_of(const json_t *v)
{
    tsr_cents c = 0;
    if (json_is_integer(v))
        return json_integer_value(v);
    const char *s = json_string_value(v);
    return s && tsr_money_parse(s, &c) == TSR_OK ? c : 0;
}

/* Distinct orders of the digits (a combo bet is one straight per order). */
static int64_t orders(const json_t *nums)
{
    size_t n = json_array_size(nums);
    int count[10] = {0};
    int64_t f = 1;
    for (size_t i = 0; i < n; i++) {
        json_int_t d = json_integer_value(json_array_get(nums, i));
        count[d >= 0 && d <= 9 ? d : 0]++;
        f *= (int64_t)(i + 1);
    }
    for (int d = 0; d < 10; d++)
        for (int k = 2; k <= count[d]; k++)
            f /= k;
    return f;
}

/* What the sale will cost: the stake (or the game's price or minimum) x
 * draws x combinations. An estimate for the confirmation only: the
 * receipt's stake is the node's price. */
static tsr_cents estimate(tsr_term *t, const char *game, const json_t *bet)
{
    const json_t *games = json_object_get(term_games(t), "games");
    const json_t *g = NULL, *x;
    size_t i;
    json_array_foreach(games, i, x) {
        const char *id = json_string_value(json_object_get(x, "id"));
        if (id && strcmp(id, game) == 0)
            g = x;
    }
    tsr_cents unit = money_of(json_object_get(bet, "stake"));
    if (!unit)
        unit = money_of(json_object_get(g, "price"));
    if (!unit)
        unit = money_of(json_object_get(g, "stake_min"));
    json_int_t draws = json_integer_value(json_object_get(bet, "draws"));
    const char *type = json_string_value(json_object_get(bet, "type"));
    int64_t combos = strcmp(type, "combo") == 0 ? orders(json_object_get(bet, "numbers")) : 1;
    tsr_cents total = 0;
    if (tsr_money_mul(unit, (draws > 0 ? draws : 1) * (combos > 0 ? combos : 1), &total) != TSR_OK)
        total = TSR_MONEY_MAX;
    return total;
}

/* ---- receipts ----------------------------------------------------------------------- */

static void save_receipt_files(tsr_term *t, const json_t *r)
{
    const char *serial = json_string_value(json_object_get(r, "serial"));
    const char *check = json_string_value(json_object_get(r, "check"));
    char payload[TSR_QR_PAYLOAD_MAX], path[512];
    if (!t->receipt_dir[0] || !serial || !check ||
        tsr_qr_payload(serial, check, payload, sizeof payload) != TSR_OK)
        return;
    mkdir(t->receipt_dir, 0700);
    snprintf(path, sizeof path, "%s/%s.json", t->receipt_dir, serial);
    if (json_dump_file(r, path, JSON_COMPACT) != 0)
        fprintf(stderr, "warning: could not write %s\n", path);
    snprintf(path, sizeof path, "%s/%s.png", t->receipt_dir, serial);
    if (tsr_qr_png(payload, path, TSR_QR_PNG_SCALE) != TSR_OK)
        fprintf(stderr, "warning: could not write %s\n", path);
}

tsr_status term_show_receipts(tsr_term *t, const json_t *receipts)
{
    size_t i;
    const json_t *r;
    tsr_status first = TSR_OK;
    json_array_foreach(receipts, i, r) {
        save_receipt_files(t, r);
        if (t->o.json)
            continue;
        tsr_status st = tsr_receipt_print(r, term_out(t));
        if (st != TSR_OK && first == TSR_OK)
            first = st;
    }
    return first;
}

static void print_sale(tsr_term *t, const json_t *res)
{
    const json_t *receipts = json_object_get(res, "receipts");
    if (term_show_receipts(t, receipts) != TSR_OK)
        fprintf(term_out(t), "warning: a receipt could not be printed\n");
    fprintf(term_out(t), "SOLD: %zu ticket(s), total %s\n", json_array_size(receipts),
            json_string_value(json_object_get(res, "total_stake")) ? json_string_value(json_object_get(res, "total_stake")) : "?");
}

/* ---- pending sales ------------------------------------------------------------------- */

static tsr_status pending_add(tsr_term *t, const char *key, const json_t *body)
{
    if (json_array_size(t->pending) >= TSR_TERM_PENDING_MAX)
        return TSR_ERR_BUSY;
    json_array_append_new(t->pending, json_pack("{s:s,s:O}", "key", key, "body", body));
    return term_state_save(t);
}

static tsr_status pending_remove(tsr_term *t, const char *key)
{
    size_t i;
    json_t *p;
    json_array_foreach(t->pending, i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        if (k && strcmp(k, key) == 0) {
            json_array_remove(t->pending, i);
            break;
        }
    }
    return term_state_save(t);
}

/* Sends a pending sale (first time or again). A node answer of any kind
 * settles it; no answer leaves it pending and prints no ticket. */
static tsr_status send_sale(tsr_term *t, const char *key, const json_t *body)
{
    char path[TERM_PATH_MAX];
    term_path(t, "/v1/bets", NULL, path, sizeof path);
    tsr_reply rep;
    tsr_status st = tsr_client_call(t->client, TSR_METHOD_POST, path, body, t->o.timeout_ms, &rep);
    if (st == TSR_OK || (st == TSR_ERR_JSON && rep.code)) {
        if (pending_remove(t, key) != TSR_OK)
            fprintf(stderr, "warning: the state file %s could not be written\n", t->state_path);
        st = rep.status;
        if (st == TSR_OK)
            term_ok(t, json_incref(rep.body), print_sale);
        else
            term_node_error(t, &rep);
        tsr_reply_clear(&rep);
        return st;
    }
    tsr_reply_clear(&rep);
    if (tsr_client_dtls_failed(t->client))
        return term_fail(t, TSR_ERR_UNAVAILABLE,
                         "OUTCOME UNKNOWN: no secure session with the node (DTLS handshake failed: "
                         "node down or wrong PSK for terminal '%s'). No ticket printed; the sale "
                         "stays pending (key %s): run 'resolve'", t->terminal_id, key);
    return term_fail(t, st == TSR_ERR_UNAVAILABLE ? st : TSR_ERR_TIMEOUT,
                     "OUTCOME UNKNOWN: the node %s did not answer. No ticket printed; the sale "
                     "stays pending (key %s) and no new sale is possible until 'resolve' "
                     "asks the node again with the same key", tsr_client_uri(t->client), key);
}

static void new_key(tsr_term *t, char out[TERM_KEY_LEN + 1])
{
    uint8_t raw[TERM_KEY_LEN / 2];
    tsr_rng_bytes(t->rng, raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

tsr_status term_cmd_sell(tsr_term *t, int argc, char **argv)
{
    if (argc < 3)
        return term_fail(t, TSR_ERR_USAGE, "%s", "usage: sell GAME TYPE [N..|qp] [second=N] [spots=N] [stake=X] [draws=N] [yes]");
    if (!t->session[0])
        return term_fail(t, TSR_ERR_UNAUTHENTICATED, "%s", "no agent is logged in (login AGENT PIN)");
    if (json_array_size(t->pending))
        return term_fail(t, TSR_ERR_BUSY, "a previous sale's outcome is unknown (key %s): run 'resolve' first",
                         json_string_value(json_object_get(json_array_get(t->pending, 0), "key")));
    bool yes = false;
    const char *bad = NULL;
    json_t *bet = parse_bet(argc, argv, &yes, &bad);
    if (!bet)
        return term_fail(t, TSR_ERR_USAGE, "cannot read '%s' (numbers, qp, second=, spots=, stake=, draws=, yes)", bad ? bad : "?");
    /* 'yes' means the agent confirmed already; otherwise price the sale
     * from the node's game list, which also refuses to go on when the node
     * cannot be reached (a sale is never started offline) */
    if (!yes && !term_games(t)) {
        json_decref(bet);
        return TSR_ERR_UNAVAILABLE;
    }
    tsr_cents amount = yes ? 0 : estimate(t, argv[1], bet);
    char money[TSR_MONEY_STR_MAX];
    tsr_money_format(amount, money, sizeof money);
    if (amount > t->o.confirm_above && !yes) {
        char q[128];
        snprintf(q, sizeof q, "Sale of about %s: take the cash and confirm?", money);
        if (!term_confirm(t, q)) {
            json_decref(bet);
            return term_fail(t, TSR_ERR_USAGE, "a sale of about %s needs confirmation ('yes' in a script); nothing was sold", money);
        }
    }
    char key[TERM_KEY_LEN + 1];
    new_key(t, key);
    json_t *body = json_pack("{s:s,s:o,s:s}", "game", argv[1], "bet", bet, "idempotency_key", key);
    tsr_status st = pending_add(t, key, body);
    if (st == TSR_OK)
        st = send_sale(t, key, body);
    else
        st = term_fail(t, st, "%s", "the state file cannot be written: nothing was sold");
    json_decref(body);
    return st;
}

tsr_status term_cmd_resolve(tsr_term *t, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (json_array_size(t->pending) == 0) {
        term_ok(t, json_pack("{s:i}", "pending", 0), NULL);
        if (!t->o.json)
            fprintf(term_out(t), "nothing pending\n");
        return TSR_OK;
    }
    /* oldest first; each settled sale leaves the array */
    json_t *p = json_incref(json_array_get(t->pending, 0));
    const char *key = json_string_value(json_object_get(p, "key"));
    tsr_status st = key ? send_sale(t, key, json_object_get(p, "body")) : TSR_ERR_JSON;
    json_decref(p);
    return st;
}
