/*
 * Receipt signatures on the node: receipt batches (tessera/receipt_batch.h)
 * made per group commit, stored in `receipt_batches`, and the per-ticket
 * signature block every receipt carries.
 *
 * Writer thread, per group:
 *   apply:   tsr_receipts_reserve(n) for the tickets a bet may add (the only
 *            step that can fail for lack of memory, so it fails the bet);
 *   settled: tsr_receipts_add (the bet's new tickets, seq order) and
 *            tsr_receipts_want (the tickets whose signatures its reply
 *            needs: its own, or for an idempotent replay the original's);
 *   before COMMIT: tsr_receipts_close — signs the group's tickets in
 *            batches of up to TSR_RECEIPT_BATCH_MAX, stores the batches and
 *            fills every wanted signature block (from this group's batches,
 *            or from the database for tickets of earlier groups).
 * The reply is formatted from the filled blocks after the COMMIT.
 *
 * Tickets sold before schema v2 carry their own Ed25519 signature in
 * tickets.sig; their block has batched = false.
 */
#ifndef TSR_NODE_RECEIPTS_H
#define TSR_NODE_RECEIPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "tessera/receipt_batch.h"

/* A batch of at most 16 leaves has proofs of at most 4 siblings. */
#define TSR_RECEIPT_PROOF_MAX 4
_Static_assert(TSR_RECEIPT_BATCH_MAX <= (1 << TSR_RECEIPT_PROOF_MAX), "proof room");

/* What a receipt shows to prove its ticket. */
typedef struct tsr_receipt_sig {
    bool batched;               /* false: sig is over the ticket bytes alone */
    uint8_t sig[TSR_SIG_LEN];   /* batched: over the batch's canonical bytes */
    tsr_receipt_batch batch;
    uint32_t index, depth;      /* the ticket's leaf in the batch; proof length */
    uint8_t siblings[TSR_RECEIPT_PROOF_MAX][TSR_HASH_LEN];
} tsr_receipt_sig;

/* The group's state (writer thread only). Zero-initialised; freed by
 * tsr_receipts_free. */
typedef struct tsr_receipts {
    uint64_t *seqs;                 /* the group's tickets, seq order */
    uint8_t (*leaves)[TSR_HASH_LEN];
    size_t n, cap;
    struct receipt_want *wants;     /* signature blocks to fill */
    size_t n_wants, cap_wants;
    size_t held, held_wants;        /* reserved and not yet added */
} tsr_receipts;

/* Room for `tickets` more tickets and one more want, on top of what was
 * reserved and not yet added (the writer settles a run's bets after all
 * of them applied; a failed bet's room stays held until the group closes).
 * TSR_ERR_NOMEM. */
tsr_status tsr_receipts_reserve(tsr_receipts *r, size_t tickets) TSR_MUST_CHECK;

/* Adds n tickets (seqs ascending, after every ticket added before) with
 * their leaf hashes. Needs the room reserved. */
void tsr_receipts_add(tsr_receipts *r, const uint64_t *seqs, const uint8_t (*leaves)[TSR_HASH_LEN],
                      size_t n);

/* Asks for the blocks of n tickets (seqs, borrowed until close) to be
 * written into out[0..n) (borrowed until close). Needs the room reserved. */
void tsr_receipts_want(tsr_receipts *r, const uint64_t *seqs, tsr_receipt_sig *out, size_t n);

/* Before COMMIT: signs and stores the group's batches, fills the wants and
 * empties the group (also on failure). Store errors, TSR_ERR_NOT_FOUND (a
 * wanted ticket has no batch: a broken database). */
tsr_status tsr_receipts_close(tsr_receipts *r, tsr_store_txn *t, const tsr_keypair *kp,
                              const char *node) TSR_MUST_CHECK;

/* Forgets the group without signing (the group failed). */
void tsr_receipts_clear(tsr_receipts *r);

void tsr_receipts_free(tsr_receipts *r);

/* The block of ticket `seq` of `node` (this node's id) from the database:
 * its batch and proof, or its own signature (`legacy_sig`, the tickets.sig
 * column, borrowed, when it is 64 bytes). TSR_ERR_NOT_FOUND, store errors. */
tsr_status tsr_receipt_sig_load(tsr_store_conn *db, const char *node, uint64_t seq,
                                const void *legacy_sig, size_t legacy_len,
                                tsr_receipt_sig *out) TSR_MUST_CHECK;

#endif
