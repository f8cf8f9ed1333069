/*
 * The retail agent terminal: the commands a shop runs against its node
 * (agent login, games and draws, sell, print, cancel, check and pay a
 * winning ticket, float balance, end-of-day settlement), interactively, from
 * a script, or one command per invocation. docs/terminal.md lists them.
 *
 * Uncertain outcomes are resolved, never guessed: a sale is written to the
 * state file as "pending" (with its idempotency key and body) before it is
 * sent; when no answer comes the terminal says so, prints no ticket, and
 * refuses new sales until `resolve` has asked the node again with the SAME
 * key (the node answers a repeated key with the original receipt, or sells
 * it once if the first attempt never arrived). The terminal never sells
 * offline: every sale is the node's answer.
 *
 * Output: text for people, or with json one JSON object per command on one
 * line: {"command":..,"ok":true,"result":..} or
 * {"command":..,"ok":false,"error":"TSR_ERR_..","message":..} (plus the
 * node's "detail" object when its answer had one, e.g. where and when a
 * slip was paid).
 */
#ifndef TESSERA_TERMINAL_H
#define TESSERA_TERMINAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera/keys.h"
#include "tessera/money.h"
#include "tessera/status.h"

/* Words of one command line (sell with ten numbers and options is ~16). */
#define TSR_TERM_ARGS_MAX 32
/* One command line. */
#define TSR_TERM_LINE_MAX 1024
/* Sales whose outcome is not known yet (normally 0 or 1: a new sale is
 * refused while one is pending). */
#define TSR_TERM_PENDING_MAX 8
/* Default: ask for confirmation above 100.00 (a shop's usual rule). */
#define TSR_TERM_CONFIRM_ABOVE_DEFAULT 10000
/* Default time to wait for one answer, retries included. */
#define TSR_TERM_TIMEOUT_MS_DEFAULT 10000

typedef struct tsr_term tsr_term;

typedef struct tsr_term_opts {
    const char *node_uri;      /* borrowed: coaps://127.0.0.1:5684 (coap:// for tests) */
    const tsr_psk *psk;        /* borrowed (copied); its identity is the terminal id */
    const char *terminal_id;   /* borrowed; plain coap:// only (the node's terminal= query) */
    const char *state_path;    /* borrowed; session and pending sales (mode 0600) */
    const char *receipt_dir;   /* borrowed; where receipts go as .json and .png; NULL = none */
    bool json;                 /* JSON lines instead of text */
    bool interactive;          /* confirmations are asked on `in` */
    int64_t timeout_ms;        /* per command, retries included (0 = default) */
    tsr_cents confirm_above;   /* a sale above this needs confirmation (-1 = default) */
    FILE *out;                 /* borrowed; stdout when NULL */
    FILE *in;                  /* borrowed; stdin when NULL (confirmations) */
} tsr_term_opts;

/* Opens a terminal: loads the state file (creating none yet), opens the
 * client. Owns *out. TSR_ERR_ARG (options; err says which), the errors of
 * tsr_client_create, TSR_ERR_IO / TSR_ERR_JSON for an unreadable state
 * file. */
tsr_status tsr_term_open(tsr_term **out, const tsr_term_opts *opts, char *err,
                         size_t errlen) TSR_MUST_CHECK;

/* Closes the client and frees the terminal; NULL-safe. */
void tsr_term_close(tsr_term *t);

/* Runs one command (argv[0] is its name). Prints its result or its error;
 * returns TSR_OK or the status of the failure (TSR_ERR_USAGE for a bad
 * command line, TSR_ERR_TIMEOUT / TSR_ERR_UNAVAILABLE when the node did not
 * answer, the node's error otherwise). */
tsr_status tsr_term_exec(tsr_term *t, int argc, char **argv) TSR_MUST_CHECK;

/* Splits a line into words (spaces; '#' starts a comment) and runs it. An
 * empty line is TSR_OK. TSR_ERR_USAGE beyond TSR_TERM_ARGS_MAX words. */
tsr_status tsr_term_exec_line(tsr_term *t, const char *line) TSR_MUST_CHECK;

/* Runs every line of f (borrowed). Stops at the first failing command
 * unless keep_going; returns the first failure's status. */
tsr_status tsr_term_run_script(tsr_term *t, FILE *f, bool keep_going) TSR_MUST_CHECK;

/* The interactive prompt (readline when built with it, else plain lines)
 * until quit or end of input. */
tsr_status tsr_term_interactive(tsr_term *t) TSR_MUST_CHECK;

/* True when the last command asked to leave (quit/exit). */
bool tsr_term_quit_requested(const tsr_term *t);

#endif
