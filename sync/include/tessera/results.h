/*
 * What central sends the nodes after a draw (DESIGN.md, "Settlement and
 * payouts"): one RESULT message per (game, draw) to every node, and PAYOUT
 * batches per node listing the wins and refunds of the tickets that node
 * sold. Both travel on the control path (subjects.h: tsr.ctl.<node>.result
 * and tsr.ctl.<node>.payout) in their signed binary form, signed by the
 * central key (not the draw-authority key: the draw authority signs the
 * draw record carried inside the result; central signs what it pays).
 *
 * Signed form: canonical bytes (codec.h rules) || Ed25519 signature of them
 * (tsr_signed_make). Type tags 52 and 53 (codec.h tag space; the draw owns
 * 48..51).
 *
 *   result  u8 52, u8 ver, str game, u32 draw, u8 state (1 drawn,
 *           2 cancelled),
 *           u8 pools, per pool {u8 n, n x u32 number}        (raw draw order)
 *           u8 main_n, main_n x u32, u8 bonus_n, bonus_n x u32,
 *           u32 multiplier                                     (game view)
 *           u8 tiers, per tier {u64 winners, i64 prize_cents, i64 paid_cents}
 *           i64 sales_cents, i64 paid_cents, i64 withheld_cents,
 *           i64 refunded_cents, i64 jackpot_next_cents, i64 drawn_at_ns,
 *           bytes record (the draw record JSON, compact with sorted keys:
 *           json_dumps(JSON_COMPACT | JSON_SORT_KEYS); empty when cancelled)
 *   payout  u8 53, u8 ver, str node, str game, u32 draw,
 *           u32 batch_index, u32 batch_count, u32 node_entries,
 *           i64 node_amount_cents, u32 n,
 *           n x {fixed[32] payout_id, fixed[16] ticket_id, u8 kind,
 *                u8 tier, u8 klass, u8 reportable, i64 amount_cents,
 *                i64 withheld_cents}
 *
 * Payout id: BLAKE2b-256("tessera-payout" || u16-len game || u32 draw ||
 * ticket_id[16] || u8 kind) (tsr_payout_id). It depends only on what is
 * paid for, never on when or in which batch, so re-publishing a draw's
 * payouts (central restarted, an operator re-ran the step) carries the same
 * ids, and a node that applies each id at most once never pays twice. The
 * kind is inside the id so a ticket's refund and win could never collide.
 *
 * Rules a decoder enforces (TSR_ERR_ENCODING unless said otherwise):
 *   result: state 1 or 2; a cancelled result has no pools, numbers, tiers,
 *     sales or record; a drawn one has 1..TSR_DRAW_POOLS_MAX pools of
 *     1..TSR_DRAW_PICK_MAX numbers, a non-empty record; amounts >= 0.
 *     The record text must be exactly its own compact sorted re-dump, so a
 *     result has one encoding.
 *   payout: batch_index < batch_count; n <= TSR_PAYOUT_BATCH_MAX; n == 0
 *     only for a node with nothing to receive (batch_count 1,
 *     node_entries 0, node_amount 0); entries strictly ascending by
 *     payout_id (so no id twice in a batch, and one order); kind 1 win /
 *     2 refund; klass TSR_PAYOUT_AUTO / _TERMINAL / _CLAIM_CENTRE;
 *     a win has tier < TSR_TIERS_MAX, amount > 0, 0 <= withheld <= amount;
 *     a refund has tier TSR_PAYOUT_TIER_NONE, amount > 0, withheld 0,
 *     reportable 0; reportable is 0 or 1; a payout id that is not
 *     tsr_payout_id of its fields is TSR_ERR_PAYOUT_ID.
 *
 * Batches: a node's entries sorted by payout_id, cut into batches of at most
 * TSR_PAYOUT_BATCH_MAX; every batch repeats the node's totals
 * (node_entries, node_amount_cents), so a node knows when it holds them all:
 * batch_count batches, node_entries entries summing to node_amount_cents
 * (gross; the net paid is amount - withheld).
 *
 * What a node does with them (node/ applies, idempotently):
 *   - verify with the pinned central key (tsr_result_open /
 *     tsr_payout_batch_open) and, for a result, the draw record against the
 *     pinned draw-authority key (tsr_result_check_record);
 *   - for each entry, INSERT into payouts(payout_id UNIQUE) and, only when
 *     the insert is new: klass AUTO -> credit amount - withheld to the
 *     online player's wallet; TERMINAL -> mark payable at a terminal;
 *     CLAIM_CENTRE -> mark "claim at a claim centre" (never paid at a
 *     terminal: central records that claim, see docs/day.md).
 *   - refunds (kind 2) return the stake of a ticket central could not
 *     include (its node excluded from the draw, or the draw cancelled).
 *
 * JSON forms (for people, the node API, the docs): byte arrays lowercase
 * hex, integers as integers, enum values as names:
 *   result {"type":"tessera-result","version":1,"game","draw",
 *     "state":"drawn"|"cancelled","numbers":[[..],..],"main":[..],
 *     "bonus":[..],"multiplier":n,"tiers":[{"tier","winners","prize_cents",
 *     "paid_cents"}],"sales_cents","paid_cents","withheld_cents",
 *     "refunded_cents","jackpot_next_cents","drawn_at_ns","record":{..}|null}
 *   payout {"type":"tessera-payouts","version":1,"node","game","draw",
 *     "batch_index","batch_count","node_entries","node_amount_cents",
 *     "entries":[{"payout_id","ticket_id","kind":"win"|"refund","tier"
 *     (null for refunds),"class":"auto"|"terminal"|"claim_centre",
 *     "reportable","amount_cents","withheld_cents"}]}
 * from_json is strict (codec.h's error set) and checks the same rules as
 * the binary decoder.
 *
 * Pure and thread-safe; the functions that return objects allocate them.
 */
#ifndef TESSERA_RESULTS_H
#define TESSERA_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/catalog.h"
#include "tessera/codec.h"
#include "tessera/draw.h"
#include "tessera/hash.h"
#include "tessera/keys.h"
#include "tessera/status.h"

/* ---- limits ---------------------------------------------------------------- */

/* Type tags (codec.h tag space): results take 52..55. */
enum { TSR_TYPE_RESULT = 52, TSR_TYPE_PAYOUT_BATCH = 53 };

/* Entries per payout batch: an entry is 68 bytes, so 4096 make ~280 KB,
 * under NATS's default 1 MiB max_payload with room, and one signature
 * covers enough entries that 1 million payouts are ~250 messages. */
#define TSR_PAYOUT_BATCH_MAX 4096
#define TSR_PAYOUT_ENTRY_ENC_LEN 68
/* The record JSON inside a result: ~700 bytes per seal, so 512 KiB carries
 * the record of a draw with ~700 nodes and keeps a result under NATS's
 * default 1 MiB payload. */
#define TSR_RESULT_RECORD_MAX (512 * 1024)
/* Largest signed result / payout batch. */
#define TSR_RESULT_SIGNED_MAX (TSR_RESULT_RECORD_MAX + 8192)
#define TSR_PAYOUT_BATCH_SIGNED_MAX \
    (128 + TSR_PAYOUT_BATCH_MAX * TSR_PAYOUT_ENTRY_ENC_LEN + TSR_SIG_LEN)
/* The tier of a refund (it has none). */
#define TSR_PAYOUT_TIER_NONE 255
_Static_assert(TSR_TIERS_MAX < TSR_PAYOUT_TIER_NONE, "tier indexes fit below the refund marker");

typedef enum tsr_result_state {
    TSR_RESULT_DRAWN = 1,    /* numbers drawn, prizes settled */
    TSR_RESULT_CANCELLED = 2 /* the draw will not take place: every stake is refunded */
} tsr_result_state;

typedef enum tsr_payout_kind {
    TSR_PAYOUT_KIND_WIN = 1,   /* a prize */
    TSR_PAYOUT_KIND_REFUND = 2 /* a stake returned */
} tsr_payout_kind;

/* ---- result ---------------------------------------------------------------- */

typedef struct tsr_result_tier {
    uint64_t winners;
    int64_t prize_cents;  /* per winner at the base wager */
    int64_t paid_cents;   /* all its winners together, gross */
} tsr_result_tier;

typedef struct tsr_result {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    uint8_t state;                    /* tsr_result_state */
    tsr_draw_numbers numbers;         /* per pool, as drawn (record order) */
    uint8_t main_count;               /* the game's view: main numbers */
    uint32_t main[TSR_DRAW_PICK_MAX];
    uint8_t bonus_count;              /* bonus ball / second-pool ball */
    uint32_t bonus[TSR_DRAW_PICK_MAX];
    uint32_t multiplier;              /* drawn multiplier, 0 when none */
    uint8_t tier_count;
    tsr_result_tier tiers[TSR_TIERS_MAX];
    int64_t sales_cents;
    int64_t paid_cents;
    int64_t withheld_cents;
    int64_t refunded_cents;           /* stakes refunded (excluded nodes, cancelled draw) */
    int64_t jackpot_next_cents;       /* the next draw's jackpot carry */
    int64_t drawn_at_ns;              /* from the record; 0 when cancelled */
    char *record_json;                /* owned; NUL-terminated; NULL when cancelled */
    size_t record_len;
} tsr_result;

/* Signs r with kp (central's key) into a new buffer the caller frees with
 * free(), its size in *len. Refuses what a decoder would refuse
 * (TSR_ERR_ENCODING for an inconsistent result, TSR_ERR_RANGE for a bad
 * game name, TSR_ERR_TOO_LARGE for a record above TSR_RESULT_RECORD_MAX),
 * TSR_ERR_NOMEM. */
tsr_status tsr_result_sign(const tsr_result *r, const tsr_keypair *kp, uint8_t **out,
                           size_t *len) TSR_MUST_CHECK;

/* Verifies buf[0..len) with central's pinned key pk and decodes it into a
 * new result (owns *out; free with tsr_result_destroy). TSR_ERR_TOO_LARGE
 * above TSR_RESULT_SIGNED_MAX, TSR_ERR_SIGNATURE, TSR_ERR_ENCODING,
 * TSR_ERR_VERSION, TSR_ERR_NOMEM. */
tsr_status tsr_result_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                           tsr_result **out) TSR_MUST_CHECK;

/* Parses the result's draw record, verifies it against the pinned
 * draw-authority key (tsr_draw_record_verify; authority_pk may be NULL to
 * accept the key the record names) and checks that it is this result's
 * game and draw with the same numbers: TSR_ERR_RESULT_RECORD when they
 * differ or the result is cancelled, plus tsr_draw_record_from_json's and
 * tsr_draw_record_verify's errors. `why` (may be NULL) says which. When
 * out is not NULL it receives the parsed record (owned by the caller). */
tsr_status tsr_result_check_record(const tsr_result *r, const uint8_t *authority_pk,
                                   tsr_draw_record **out, char *why,
                                   size_t why_len) TSR_MUST_CHECK;

/* JSON form (see top); a new reference or NULL. */
json_t *tsr_result_to_json(const tsr_result *r);
/* Strict reading of the JSON form into a new result (owns *out). */
tsr_status tsr_result_from_json(const json_t *j, tsr_result **out) TSR_MUST_CHECK;

/* Frees a result and its record text; NULL-safe. */
void tsr_result_destroy(tsr_result *r);

/* ---- payouts --------------------------------------------------------------- */

typedef struct tsr_payout_entry {
    uint8_t payout_id[TSR_HASH_LEN];
    uint8_t ticket_id[TSR_TICKET_ID_LEN];
    uint8_t kind;           /* tsr_payout_kind */
    uint8_t tier;           /* 0-based tier of a win; TSR_PAYOUT_TIER_NONE for a refund */
    uint8_t klass;          /* tsr_payout_class (catalog.h): AUTO, TERMINAL, CLAIM_CENTRE */
    bool reportable;        /* a tax form is due */
    int64_t amount_cents;   /* gross prize, or the stake refunded */
    int64_t withheld_cents; /* tax withheld; the winner gets amount - withheld */
} tsr_payout_entry;

typedef struct tsr_payout_batch {
    char node[TSR_NAME_MAX];
    char game[TSR_NAME_MAX];
    uint32_t draw;
    uint32_t batch_index;        /* 0-based */
    uint32_t batch_count;        /* batches of this node for this draw */
    uint32_t node_entries;       /* entries of this node in all its batches */
    int64_t node_amount_cents;   /* their amounts summed (gross) */
    uint32_t n;
    tsr_payout_entry *entries;   /* n entries; owned when made by _open/_from_json */
} tsr_payout_batch;

/* The payout id of (game, draw, ticket, kind) (see top). TSR_ERR_RANGE for
 * an invalid game name. */
tsr_status tsr_payout_id(const char *game, uint32_t draw,
                         const uint8_t ticket_id[TSR_TICKET_ID_LEN], tsr_payout_kind kind,
                         uint8_t out[TSR_HASH_LEN]) TSR_MUST_CHECK;

/* Signs b (borrowed, entries included) with kp into out (cap bytes;
 * TSR_PAYOUT_BATCH_SIGNED_MAX always suffices), the size in *out_len.
 * Refuses what a decoder would refuse: TSR_ERR_ENCODING, TSR_ERR_PAYOUT_ID,
 * TSR_ERR_RANGE (names), TSR_ERR_TOO_LARGE. */
tsr_status tsr_payout_batch_sign(const tsr_payout_batch *b, const tsr_keypair *kp,
                                 uint8_t *out, size_t cap, size_t *out_len) TSR_MUST_CHECK;

/* Verifies buf[0..len) with central's pinned key and decodes it into a new
 * batch (owns *out and its entries; free with tsr_payout_batch_destroy).
 * TSR_ERR_TOO_LARGE, TSR_ERR_SIGNATURE, TSR_ERR_ENCODING, TSR_ERR_VERSION,
 * TSR_ERR_PAYOUT_ID, TSR_ERR_NOMEM. */
tsr_status tsr_payout_batch_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                                 tsr_payout_batch **out) TSR_MUST_CHECK;

/* Peeks at the (node, game, draw, index) of a signed batch without
 * verifying it (to pick a key or log); untrusted. Errors as the decoder. */
tsr_status tsr_payout_batch_peek(const void *buf, size_t len, tsr_payout_batch *hdr) TSR_MUST_CHECK;

/* JSON form (see top); a new reference or NULL. */
json_t *tsr_payout_batch_to_json(const tsr_payout_batch *b);
/* Strict reading of the JSON form into a new batch (owns *out). */
tsr_status tsr_payout_batch_from_json(const json_t *j, tsr_payout_batch **out) TSR_MUST_CHECK;

/* Frees a batch made by _open or _from_json; NULL-safe. */
void tsr_payout_batch_destroy(tsr_payout_batch *b);

/* "win" / "refund" (static), NULL for an unknown kind. */
const char *tsr_payout_kind_name(tsr_payout_kind k);

#endif
