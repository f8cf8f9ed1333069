/* Private parts of the agent terminal (term*.c). */
#ifndef TESSERA_TERM_INT_H
#define TESSERA_TERM_INT_H

#include <jansson.h>

#include "tessera/client.h"
#include "tessera/terminal.h"

#define TERM_TOKEN_MAX 128
#define TERM_PATH_MAX TSR_CLIENT_PATH_MAX
/* Idempotency keys: 16 random bytes in hex. */
#define TERM_KEY_LEN 32

struct tsr_term {
    tsr_term_opts o;
    tsr_client *client;
    bool secure;
    char terminal_id[TSR_PSK_IDENTITY_MAX];
    char state_path[256];
    char receipt_dir[256];
    /* state file */
    char session[TERM_TOKEN_MAX];
    char agent[64];
    json_t *pending;          /* owned: array of {"key", "body"} sales not yet resolved */
    json_t *games;            /* owned: cached GET /v1/games answer, or NULL */
    tsr_rng *rng;             /* the OS CSPRNG: idempotency keys */
    bool quit;
    const char *command;      /* the command running (for JSON output) */
};

/* ---- term.c ---- */
/* Saves session and pending sales (write to a temp file, fsync, rename):
 * a crash never loses a pending sale. TSR_ERR_IO. */
tsr_status term_state_save(tsr_term *t) TSR_MUST_CHECK;
/* path + "?terminal=..&session=.." as needed (extra: more query, or NULL). */
void term_path(const tsr_term *t, const char *base, const char *extra, char *out, size_t cap);
/* Calls the node and reports transport failures itself (unreachable, DTLS,
 * no answer): returns TSR_OK with *rep filled when the node answered
 * (rep->status may be an error), else the transport status. */
tsr_status term_call(tsr_term *t, tsr_method m, const char *path, const json_t *body,
                     tsr_reply *rep) TSR_MUST_CHECK;
/* Prints the node's error of an answer (or a text of ours) and returns st. */
tsr_status term_fail(tsr_term *t, tsr_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints a success: result (taken) as JSON in json mode; text via the
 * printer otherwise (may be NULL). */
void term_ok(tsr_term *t, json_t *result, void (*text)(tsr_term *, const json_t *));
/* As term_fail, with the node's detail object (borrowed; may be NULL) in
 * the JSON line as "detail". */
tsr_status term_fail_detail(tsr_term *t, tsr_status st, const json_t *detail, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The error answer of the node: prints it (with its detail), returns its
 * status. */
tsr_status term_node_error(tsr_term *t, const tsr_reply *rep);
/* Asks "question [y/N]" on the terminal's input; false when not interactive. */
bool term_confirm(tsr_term *t, const char *question);
FILE *term_out(const tsr_term *t);

/* ---- term_sell.c ---- */
tsr_status term_cmd_sell(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_resolve(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
/* Prints receipts and writes their .json/.png files. */
tsr_status term_show_receipts(tsr_term *t, const json_t *receipts) TSR_MUST_CHECK;

/* ---- term_cmds.c ---- */
/* GET/POST/DELETE base (+ the terminal's query and `extra`) with body
 * (taken; may be NULL); on success *res is the answer's body (owned).
 * Errors, the node's and the transport's, are printed. */
tsr_status term_simple(tsr_term *t, tsr_method m, const char *base, const char *extra,
                       json_t *body, json_t **res) TSR_MUST_CHECK;
/* True (and says so) when no agent is logged in. */
bool term_need_login(tsr_term *t);
/* A 32-hex ticket id? */
bool term_is_ticket_id(const char *s);
tsr_status term_cmd_login(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_logout(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_games(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_draws(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_receipt(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_history(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_cancel(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_health(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
/* The cached game list (GET /v1/games once per terminal); NULL on failure
 * (already reported). */
const json_t *term_games(tsr_term *t);

/* ---- term_claims.c: a presented slip (QR payload, SERIAL CHECK or ticket id) ---- */
/* The signed receipt of a presented slip sold at this terminal (the node
 * serves receipts to their seller only), in *out (owned). */
tsr_status term_find_receipt(tsr_term *t, int argc, char **argv, json_t **out) TSR_MUST_CHECK;
tsr_status term_cmd_check(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_pay(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;

/* ---- term_shop.c: the shop's money ---- */
tsr_status term_cmd_balance(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;
tsr_status term_cmd_settlement(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;

#endif
