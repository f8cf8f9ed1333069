/*
 * Receipt batches: how a node signs its tickets' receipts.
 *
 * Signing every ticket alone cost the node's writer one Ed25519 signature
 * (~25 us on the 2-core machine) per ticket, the largest single item of
 * the bet path. Instead the node signs one statement per batch of up to
 * TSR_RECEIPT_BATCH_MAX consecutive tickets of a group commit:
 *
 *   batch = {node, first_seq, last_seq, count, root}
 *   root  = Merkle root (merkle.h) over the batch's ticket leaf hashes
 *           L(canonical ticket bytes), in seq order
 *   sig   = Ed25519(node key, canonical batch bytes)
 *
 * and each receipt carries the batch, the signature and its ticket's
 * inclusion proof, so a player checks it alone with the node's public key:
 * the ticket's own bytes hash to a leaf, the proof leads from that leaf to
 * the root, and the signature covers the root. A receipt still proves
 * exactly one ticket; nobody can take a proof of one ticket to another.
 * The batch size keeps the proof short enough (4 siblings) that a
 * one-ticket receipt fits one CoAP datagram.
 *
 * Canonical bytes (codec.h rules): u8 TSR_TYPE_RECEIPT_BATCH, u8 version,
 * str node, u64 first_seq, u64 last_seq, u32 count, 32 bytes root.
 *
 * Pure and thread-safe; nothing allocates.
 */
#ifndef TESSERA_RECEIPT_BATCH_H
#define TESSERA_RECEIPT_BATCH_H

#include <stdint.h>

#include "tessera/codec.h"
#include "tessera/keys.h"
#include "tessera/merkle.h"
#include "tessera/status.h"

/* Tickets per signed batch: 16 leaves give proofs of at most 4 siblings. */
#define TSR_RECEIPT_BATCH_MAX 16
/* Largest canonical encoding of a batch. */
#define TSR_RECEIPT_BATCH_ENC_MAX (2 + 2 + (TSR_NAME_MAX - 1) + 8 + 8 + 4 + TSR_HASH_LEN)

typedef struct tsr_receipt_batch {
    char node[TSR_NAME_MAX];
    uint64_t first_seq, last_seq; /* seqs of its first and last ticket */
    uint32_t count;               /* tickets in it: 1..TSR_RECEIPT_BATCH_MAX */
    uint8_t root[TSR_HASH_LEN];
} tsr_receipt_batch;

/* Appends the canonical bytes. TSR_ERR_RANGE (a bad node name, count 0 or
 * above the maximum, first_seq 0 or above last_seq, more tickets than
 * seqs), TSR_ERR_TOO_LONG, TSR_ERR_TOO_LARGE (writer full). */
tsr_status tsr_receipt_batch_encode(const tsr_receipt_batch *b, tsr_enc *e) TSR_MUST_CHECK;

/* sig = kp's Ed25519 signature over the batch's canonical bytes. Errors of
 * the encoder. */
tsr_status tsr_receipt_batch_sign(const tsr_receipt_batch *b, const tsr_keypair *kp,
                                  uint8_t sig[TSR_SIG_LEN]) TSR_MUST_CHECK;

/* Checks one receipt: `ticket` (borrowed, len bytes) is the ticket's
 * canonical encoding, `proof` its inclusion proof in `b`, `sig` the batch
 * signature, pk the node's public key. TSR_OK, or: TSR_ERR_ENCODING (the
 * ticket bytes do not decode), TSR_ERR_RANGE (a bad batch, or the ticket's
 * node or seq is not the batch's), TSR_ERR_MERKLE_PROOF (the proof does not
 * lead to the root, or is for another batch size), TSR_ERR_SIGNATURE. */
tsr_status tsr_receipt_verify(const uint8_t pk[TSR_PK_LEN], const void *ticket, size_t len,
                              const tsr_receipt_batch *b, const tsr_merkle_proof *proof,
                              const uint8_t sig[TSR_SIG_LEN]) TSR_MUST_CHECK;

/* Reads what a node receipt (JSON, borrowed) carries to prove its ticket:
 * "node", "sig" (hex), "batch" {first_seq, last_seq, root} and "proof"
 * (merkle.h's JSON form; its count is the batch's). Other members of the
 * receipt are left alone. TSR_ERR_FIELD_MISSING (no batch: a receipt signed
 * per ticket), TSR_ERR_FIELD_TYPE, TSR_ERR_FIELD_UNKNOWN (in batch),
 * TSR_ERR_ENCODING (bad hex), TSR_ERR_RANGE, TSR_ERR_TOO_LONG (node),
 * TSR_ERR_MERKLE_PROOF (a malformed proof). */
tsr_status tsr_receipt_from_json(const json_t *receipt, tsr_receipt_batch *b,
                                 tsr_merkle_proof *proof, uint8_t sig[TSR_SIG_LEN]) TSR_MUST_CHECK;

#endif
