/*
 * The draw lifecycle in central (docs/day.md): for each (game, draw)
 *
 *   scheduled -> open -> closed -> reconciled -> drawn -> settled -> paid
 *
 *   scheduled   the catalogue's schedule names the draw (tsr_catalog_next_draw)
 *   open        central seed from the real CSPRNG (tsr_draw_seed_new), each
 *               witness's commitment, cutoff token signed by the draw
 *               authority and published to every node (tsr.ctl.<node>.token);
 *               central expects seals (tsr_central_draw_add)
 *   closed      the clock is at or past the cutoff
 *   reconciled  tsr_central_draw_ready says every node is reconciled or
 *               excluded
 *   drawn       manifest of the included seals built, signed and written
 *               (manifest-<game>-<draw>.json), every witness revealed
 *               against it, the record made, signed, stored and written
 *               (record-<game>-<draw>.json)
 *   settled     tsr_settle over every live ticket of the included nodes
 *               (jackpot carry from the game's previous draw); refunds for
 *               the tickets of excluded nodes; payout rows stored with
 *               deterministic ids
 *   paid        the signed RESULT (to every node) and the PAYOUT batches of
 *               each node (results.h) built once, stored, and published
 *
 * A cancelled draw (tsr_day_cancel, before it is drawn) goes the same way
 * without the draw: once reconciled, every ticket central holds is refunded.
 *
 * Every transition is one SQLite transaction on central's store that also
 * appends a hash-chained audit row (central's audit table). Messages are
 * built inside the transition and stored; publishing sends the stored bytes
 * with a Nats-Msg-Id derived from their content's identity, so a re-run
 * after a crash publishes the same bytes (deduplicated by JetStream) and a
 * node applying payouts by payout id never pays twice.
 *
 * Tables (created idempotently in central's store):
 *   day_draws(game, draw, state, cancelled, sales_open_at_ns, cutoff_at_ns,
 *     results_at_ns, seed, token, commitments, manifest, record, carry_cents,
 *     jackpot_next_cents, report, waiting, updated_at_ns)
 *   day_payouts(payout_id PK, game, draw, node, ticket_id, kind, tier,
 *     klass, reportable, amount_cents, withheld_cents)
 *   day_messages(game, draw, node, kind, idx, msg_id, bytes, published)
 *   claims(payout_id PK, id_document, paid_by, amount_cents,
 *     withheld_cents, at_ns)
 *
 * Threads: a tsr_day belongs to one thread (the one stepping the central it
 * borrows). Admin functions on a store path may run in other processes.
 */
#ifndef TESSERA_DAY_H
#define TESSERA_DAY_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/catalog.h"
#include "tessera/central.h"
#include "tessera/draw.h"
#include "tessera/env.h"
#include "tessera/keys.h"
#include "tessera/status.h"
#include "tessera/witness.h"

/* Draws one day object follows at once: the catalogue's 64 games, each with
 * one draw selling and a few still settling. */
#define TSR_DAY_DRAWS_MAX 256
/* A sentence saying why a step waits (per node reasons are in status). */
#define TSR_DAY_WHY_MAX 1024
/* Tickets one draw may settle: 50 million (5x the 10M sizing of bench/
 * payout.c) bounds the arrays allocated at settlement (~2.5 GB). */
#define TSR_DAY_TICKETS_MAX 50000000u

/* The lifecycle states, in order. */
typedef enum tsr_day_state {
    TSR_DAY_SCHEDULED = 0,
    TSR_DAY_OPEN,
    TSR_DAY_CLOSED,
    TSR_DAY_RECONCILED,
    TSR_DAY_DRAWN,
    TSR_DAY_SETTLED,
    TSR_DAY_PAID
} tsr_day_state;
#define TSR_DAY_STATE_COUNT 7

/* "scheduled", "open", ... (static); NULL for an unknown state. */
const char *tsr_day_state_name(tsr_day_state s);

/* How central reaches the draw's witnesses. commit and reveal are asked
 * for witness i (0..count-1) in token order. reveal gets the signed
 * manifest and the path of the file it was written to. Each returns TSR_OK
 * or the witness's refusal, with a sentence in why. */
typedef struct tsr_day_witness_ops {
    void *ctx;
    size_t count;
    tsr_status (*commit)(void *ctx, size_t i, const char *game, uint32_t draw,
                         tsr_witness_commitment *out, char *why, size_t why_len);
    tsr_status (*reveal)(void *ctx, size_t i, const tsr_draw_manifest *m,
                         const char *manifest_path, tsr_draw_witness *out, char *why,
                         size_t why_len);
} tsr_day_witness_ops;

/* Where the witnesses are: in-process (the demo and tests) when inproc is
 * set, else programs run as `<bin> commit --dir DIR --game G --draw N` and
 * `<bin> reveal --dir DIR --manifest FILE` (bin: the tessera-witness path)
 * for each of dirs[0..n). Everything borrowed. */
typedef struct tsr_day_witness_set {
    tsr_witness **inproc;
    const char *bin;
    const char *const *dirs;
    size_t n;
} tsr_day_witness_set;

/* Fills ops to reach the witnesses of set (borrowed: it must outlive ops). */
void tsr_day_witnesses(tsr_day_witness_ops *ops, const tsr_day_witness_set *set);

typedef struct tsr_day_opts {
    const char *db_path;               /* borrowed: central's store */
    tsr_central *central;              /* borrowed: publishes control messages; NULL: messages
                                          are stored and left for a central that has one */
    const tsr_catalog *catalog;        /* borrowed: games, schedule, prizes, payout rules */
    const tsr_keypair *authority_key;  /* borrowed: tokens, manifests, records */
    const tsr_keypair *central_key;    /* borrowed: results and payout batches */
    const tsr_keyring *node_keys;      /* borrowed: each node's key under its name (seals) */
    tsr_day_witness_ops witnesses;     /* count 0: a draw without witnesses (tests only) */
    const char *out_dir;               /* borrowed: where manifest and record files go */
    const char *const *games;          /* borrowed: games the schedule drives; NULL: all */
    size_t n_games;
    int64_t open_lead_ms;              /* issue the token this long before sales open */
    int64_t seal_grace_ms;             /* as tsr_central_opts (0: 5000) */
    bool manual;                       /* true: tsr_day_step only schedules and publishes;
                                          transitions are run by hand */
    const tsr_env *env;                /* borrowed: clock, real RNG (seeds), log */
} tsr_day_opts;

typedef struct tsr_day tsr_day;

/* Opens the lifecycle on central's store (creating its tables). Owns *out.
 * TSR_ERR_ARG (a missing option), TSR_ERR_NOT_FOUND (no store at
 * db_path), TSR_ERR_IO, TSR_ERR_NOMEM. */
tsr_status tsr_day_open(tsr_day **out, const tsr_day_opts *o) TSR_MUST_CHECK;

/* Closes; NULL-safe. */
void tsr_day_close(tsr_day *d);

/* One pass, called periodically by the daemon (between central steps):
 * schedules the next draw of each game, advances every unfinished draw as
 * far as it can go now (unless manual), and publishes stored messages not
 * yet published. A step that waits is not an error: its reason is kept
 * (tsr_day_status_json). Returns TSR_OK, or TSR_ERR_IO / TSR_ERR_NOMEM /
 * a publishing error (retried at the next pass). */
tsr_status tsr_day_step(tsr_day *d) TSR_MUST_CHECK;

/* Runs the transitions of (game, draw) up to and including `target`, by
 * hand (operator commands open, close, run = reconcile and draw, settle,
 * payout). Each transition runs only when its condition holds; otherwise
 * TSR_ERR_DAY_WAITING with the reason in why (also kept for status).
 * A draw already at or past target is TSR_OK (nothing runs twice).
 * Errors: TSR_ERR_DAY_NO_DRAW (not in the schedule), TSR_ERR_GAME_UNKNOWN,
 * TSR_ERR_DAY_WAITING, the witnesses' refusals (e.g.
 * TSR_ERR_WITNESS_TOO_EARLY) and the draw/settle libraries' errors,
 * TSR_ERR_IO. */
tsr_status tsr_day_advance(tsr_day *d, const char *game, uint32_t draw, tsr_day_state target,
                           char *why, size_t why_len) TSR_MUST_CHECK;

/* Cancels a draw not yet drawn (audited with operator and reason): it goes
 * on to settlement as refunds of every ticket. TSR_ERR_DAY_STATE when it
 * is already drawn, TSR_ERR_DAY_NO_DRAW, TSR_ERR_ARG, TSR_ERR_IO. */
tsr_status tsr_day_cancel(tsr_day *d, const char *game, uint32_t draw, const char *operator_name,
                          const char *reason) TSR_MUST_CHECK;

/* Lifecycle status from a store path (the CLI beside a live central):
 *   {"draws":[{"game","draw","state","cancelled","sales_open_at_ns",
 *     "cutoff_at_ns","results_at_ns","waiting":text|null,"numbers":[[..]]|null,
 *     "carry_cents","jackpot_next_cents","report":{..}|null,
 *     "payouts":{"entries","amount_cents","withheld_cents","refunds",
 *                "refund_cents"},
 *     "messages":{"stored","published"}}]}
 * game may be NULL (every draw) and draw is used only with a game.
 * TSR_ERR_NOT_FOUND (no store), TSR_ERR_IO. Caller owns *out. */
tsr_status tsr_day_status_json(const char *db_path, const char *game, uint32_t draw,
                               json_t **out) TSR_MUST_CHECK;

/* Records a claim-centre payment (identity document checked, tax withheld)
 * for a payout of class claim_centre, once: TSR_ERR_NOT_FOUND (no such
 * payout), TSR_ERR_CLAIM_CLASS (another class), TSR_ERR_CLAIM_DONE (claimed
 * already), TSR_ERR_ARG (empty document or payer), TSR_ERR_IO. Audited. */
tsr_status tsr_day_claim(const char *db_path, const uint8_t payout_id[TSR_HASH_LEN],
                         const char *id_document, const char *paid_by,
                         int64_t now_ns) TSR_MUST_CHECK;

/* The admin commands of tessera-central for the lifecycle:
 *   tessera-central draw open|close|run|settle|payout|status|cancel
 *       --config FILE --day DAYFILE --game G --draw N [--json]
 *       [--operator NAME --reason TEXT]                (cancel)
 *   tessera-central claim --config FILE --payout-id HEX --id-document TEXT
 *       --paid-by NAME
 *   tessera-central day --config FILE --day DAYFILE   (the daemon: the
 *       reconciler loop with the lifecycle stepped between central steps)
 * DAYFILE: {"catalog":path,"out_dir":path,"witness_bin":path,
 *   "witness_dirs":[..],"games":[..],"open_lead_ms":n,"manual":bool}.
 * Returns a sysexits(3) code. */
int tsr_day_cli_main(int argc, char **argv);

#endif
