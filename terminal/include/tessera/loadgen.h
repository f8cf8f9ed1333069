/*
 * The measuring parts of the load generator: a latency histogram with fixed
 * memory and bounded relative error (HdrHistogram's log-linear buckets), and
 * the open-loop schedule that says when each request was MEANT to be sent,
 * for a constant rate or for a selling day compressed into minutes with the
 * surge before the cutoff.
 *
 * Open loop: latency is (answer time - intended send time). A node that
 * stalls for a second makes every request scheduled in that second late,
 * and the histogram shows it; a closed loop would just send less and hide
 * the stall (coordinated omission).
 */
#ifndef TESSERA_LOADGEN_H
#define TESSERA_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tessera/clock.h"
#include "tessera/keys.h"
#include "tessera/rng.h"
#include "tessera/status.h"

/* ---- histogram --------------------------------------------------------------- */

/* Sub-buckets per power of two: 2^8 = 256, so a recorded value is off by at
 * most 1/128 (0.8 %) of itself — enough for p99.9 of a latency. */
#define TSR_HIST_SUB_BITS 8
/* Largest value kept exactly in range: 2^42 ns = 73 minutes; larger values
 * are counted at the top (and max keeps the true value). */
#define TSR_HIST_MAX_BITS 42

typedef struct tsr_hist tsr_hist;

/* An empty histogram of nanosecond values (~37 KB, fixed). Owns *out.
 * TSR_ERR_NOMEM. */
tsr_status tsr_hist_create(tsr_hist **out) TSR_MUST_CHECK;

/* Frees a histogram; NULL-safe. */
void tsr_hist_destroy(tsr_hist *h);

/* Forgets every value. */
void tsr_hist_reset(tsr_hist *h);

/* Records one value (negative values count as 0). O(1), no allocation. */
void tsr_hist_record(tsr_hist *h, int64_t value_ns);

/* Adds every value of src to dst. */
void tsr_hist_merge(tsr_hist *dst, const tsr_hist *src);

/* Values recorded. */
uint64_t tsr_hist_count(const tsr_hist *h);

/* Exact smallest and largest value recorded (0 when empty). */
int64_t tsr_hist_min(const tsr_hist *h);
int64_t tsr_hist_max(const tsr_hist *h);

/* Mean of the recorded values (exact sum / count; 0 when empty). */
double tsr_hist_mean(const tsr_hist *h);

/* The value at quantile q in [0, 1] (0.99 = p99): the upper edge of the
 * bucket holding the ceil(q*count)-th smallest value, never above max;
 * 0 when empty. Within 0.8 % of the exact quantile. */
int64_t tsr_hist_quantile(const tsr_hist *h, double q);

/* ---- open-loop schedule ------------------------------------------------------ */

/* Steps of a day profile: the rate is constant within a step; 4096 steps of
 * a 10-minute day are ~150 ms each, finer than any surge we model. */
#define TSR_SCHED_STEPS_MAX 4096

typedef struct tsr_sched tsr_sched;

/* A constant rate: request k (0-based) is meant for start_ns + k / rate.
 * TSR_ERR_ARG for a rate outside (0, 10^7]. Owns *out. */
tsr_status tsr_sched_constant(tsr_sched **out, int64_t start_ns, double rate_per_s) TSR_MUST_CHECK;

/* A selling day compressed into duration_s seconds: a base level that
 * swells around midday, then the surge of the last surge_fraction of the
 * day rising to peak_per_s at the cutoff (the end). base_fraction is the
 * base level as a share of the peak (the brief: 2,000/s average against a
 * 15,000/s peak, about 0.13). TSR_ERR_ARG for duration 1..86400 s violated,
 * peak outside (0, 10^7], fractions outside (0, 1). Owns *out. */
tsr_status tsr_sched_day(tsr_sched **out, int64_t start_ns, double duration_s, double peak_per_s,
                         double base_fraction, double surge_fraction) TSR_MUST_CHECK;

/* Frees a schedule; NULL-safe. */
void tsr_sched_destroy(tsr_sched *s);

/* The intended send time of request k, or INT64_MAX when the schedule ends
 * before it (a day profile has a finite number of requests). */
int64_t tsr_sched_at(const tsr_sched *s, uint64_t k);

/* Requests the whole schedule holds (UINT64_MAX for a constant rate). */
uint64_t tsr_sched_total(const tsr_sched *s);

/* The rate (requests/s) the schedule asks for at time t_ns; 0 outside it. */
double tsr_sched_rate_at(const tsr_sched *s, int64_t t_ns);

/* ---- bets of every family ----------------------------------------------- */

/* Games the generator knows at once (the catalogue's limit). */
#define TSR_GEN_GAMES_MAX 64
/* Bet types one game offers (the catalogue has 13 across families). */
#define TSR_GEN_TYPES_MAX 16
/* Longest generated "bet" object in JSON text. */
#define TSR_GEN_BET_JSON_MAX 256
/* Selections of one generated bet (keno's 10 spots are the most). */
#define TSR_POOL_GEN_MAX 16

/* What the generator needs to know of a game, read from the node's
 * GET /v1/games (the catalogue's game objects; docs/games.md). */
typedef struct tsr_gen_game {
    char id[32];
    char family[16];          /* lotto, two_pool, digits, keno, fixed */
    int pool, pick;           /* main numbers 1..pool, pick of them */
    int second_pool, second_pick;
    int digits;               /* digits games: 3 or 4 */
    int spots_min, spots_max; /* keno */
    int max_draws;            /* advance play */
    int ntypes;
    char types[TSR_GEN_TYPES_MAX][16];
} tsr_gen_game;

/* Reads the games of a GET /v1/games answer (borrowed): either an array of
 * game objects or an object with a "games" array. Games of an unknown
 * family are skipped. *n gets the count. TSR_ERR_JSON when there is no such
 * array, TSR_ERR_NOT_FOUND when no game is usable, TSR_ERR_TOO_LARGE past
 * cap. */
tsr_status tsr_gen_games_parse(const json_t *answer, tsr_gen_game *out, size_t cap,
                               size_t *n) TSR_MUST_CHECK;

/* Reads the games of a catalogue file (deploy/catalog/tessera.json; the
 * node's GET /v1/games names families and bet types but not pools and
 * picks, which explicit selections need). Errors of tsr_catalog_load_file
 * (err says which field), TSR_ERR_TOO_LARGE past cap. */
tsr_status tsr_gen_games_from_catalog(const char *path, tsr_gen_game *out, size_t cap, size_t *n,
                                      char *err, size_t errlen) TSR_MUST_CHECK;

/* Writes one random, valid "bet" object for game g and its type number
 * type_ix (0..ntypes-1) as JSON text into buf: explicit selections drawn
 * from rng (borrowed), or {"type":..,"quick_pick":true} when quick_pick;
 * draws > 1 is advance play (clamped to the game's max_draws). *len gets
 * the length. TSR_ERR_ARG for a bad type index, TSR_ERR_TOO_LARGE when cap
 * is too small, TSR_ERR_RNG. */
tsr_status tsr_gen_bet(const tsr_gen_game *g, int type_ix, bool quick_pick, int draws,
                       tsr_rng *rng, char *buf, size_t cap, size_t *len) TSR_MUST_CHECK;

/* ---- the load run ----------------------------------------------------------- */

/* Nodes one run drives at once. */
#define TSR_LOAD_TARGETS_MAX 16
/* Simulated players (each registers and logs in once: Argon2id on the node,
 * tens of ms each, so thousands would take minutes of setup). */
#define TSR_LOAD_PLAYERS_MAX 10000
/* Hard bounds of a run, whatever the options say: one hour, 10^9 requests. */
#define TSR_LOAD_DURATION_MAX_S 3600.0
#define TSR_LOAD_REQUESTS_MAX UINT64_C(1000000000)
/* Recent tickets remembered for cancels. */
#define TSR_LOAD_RECENT_MAX 4096

typedef enum tsr_load_mode {
    TSR_LOAD_CLOSED, /* N virtual users, each sends when its last answer came */
    TSR_LOAD_OPEN,   /* constant rate, latency from the intended send time */
    TSR_LOAD_DAY     /* open loop following the compressed selling day */
} tsr_load_mode;

typedef enum tsr_load_op {
    TSR_OP_BET,
    TSR_OP_HISTORY,
    TSR_OP_WALLET,
    TSR_OP_TICKET,   /* GET /v1/bets/<ticket> of a recent ticket */
    TSR_OP_CANCEL,
    TSR_OP_CLAIM,
    TSR_OP_COUNT_
} tsr_load_op;

/* "bet", "history", ...; static. */
const char *tsr_load_op_name(tsr_load_op op);

typedef struct tsr_load_opts {
    const char *targets[TSR_LOAD_TARGETS_MAX]; /* borrowed URIs; loopback only */
    int ntargets;
    const tsr_psk *psk;       /* borrowed; for coaps:// targets */
    tsr_load_mode mode;
    double rate;              /* OPEN: requests/s */
    int concurrency;          /* CLOSED: virtual users in flight */
    double day_s, peak, base_fraction, surge_fraction; /* DAY */
    double duration_s;        /* stop sending after this (bounded by the max) */
    uint64_t max_requests;    /* stop sending after this many */
    double warmup_s;          /* answers to requests meant before this are not measured */
    const char *catalog;      /* borrowed; catalogue file for explicit selections, or NULL
                                 (then every bet is a quick pick) */
    int players;              /* simulated players (or tills with agent), 1..TSR_LOAD_PLAYERS_MAX */
    const char *agent;        /* borrowed; retail mode: the agent's name (no players are
                                 registered; bets charge the terminal's float) */
    const char *agent_pin;    /* borrowed; its PIN */
    const char *terminal_id;  /* borrowed; coap:// only: the terminal= the node knows */
    int64_t deposit_cents;    /* each player's deposit at setup */
    int sessions;             /* UDP sessions per target */
    int window;               /* requests in flight per target */
    bool confirmable;         /* CON instead of NON */
    int64_t timeout_ms;       /* per attempt */
    int attempts;             /* attempts per request (same idempotency key) */
    unsigned mix[TSR_OP_COUNT_]; /* relative weights of the operations */
    int quick_pick_pct;       /* share of bets that are quick picks */
    int advance_pct;          /* share of bets that are advance plays */
    uint64_t seed;            /* bets, keys and choices replay from it */
    FILE *receipts;           /* borrowed; every receipt as a JSON line; may be NULL */
    FILE *progress;           /* borrowed; one line per second; may be NULL */
    tsr_clock *clock;         /* borrowed; NULL = real */
} tsr_load_opts;

/* Fills opts with the defaults (open loop, 1000/s, 10 s, 1 player...). */
void tsr_load_opts_default(tsr_load_opts *o);

typedef struct tsr_load_report {
    double elapsed_s;         /* first intended send to last answer */
    double send_s;            /* the sending phase */
    uint64_t sent, answered, unanswered;
    uint64_t ok[TSR_OP_COUNT_];
    uint64_t by_status[TSR_OP_COUNT_][TSR_STATUS_COUNT_]; /* answered, by status */
    uint64_t no_answer[TSR_OP_COUNT_];  /* every attempt timed out or was refused */
    uint64_t retried;         /* requests sent more than once */
    uint64_t receipts;        /* lines written to the receipts file */
    uint64_t window_stalls;   /* requests that waited for a free window slot */
    int64_t max_send_lag_ns;  /* worst lateness of a send behind its intended time */
    tsr_hist *latency[TSR_OP_COUNT_]; /* owned */
    char setup_error[256];
} tsr_load_report;

/* Runs setup (catalogue, players: register, log in, deposit) then the load,
 * bounded by duration and max_requests, then waits for the last answers.
 * rep is filled even when the run stops early; free it with
 * tsr_load_report_free. Returns TSR_ERR_ARG (bad options, a target outside
 * loopback), the client's errors, or the failing setup step's status with
 * err saying which step. */
tsr_status tsr_load_run(const tsr_load_opts *o, tsr_load_report *rep, char *err,
                        size_t errlen) TSR_MUST_CHECK;

/* Frees the report's histograms; NULL-safe. */
void tsr_load_report_free(tsr_load_report *rep);

/* Prints the report: throughput, latency p50/p90/p99/p99.9/max per
 * operation, errors by status. */
void tsr_load_report_print(const tsr_load_report *rep, FILE *out);

/* The report as JSON (owned by the caller; NULL on no memory). */
json_t *tsr_load_report_json(const tsr_load_report *rep);

#endif
