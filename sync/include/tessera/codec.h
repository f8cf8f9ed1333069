/*
 * The canonical binary encoding of everything edges and central hash and
 * sign. JSON is for people and the CoAP API; signatures and hashes are
 * always over these bytes, so re-formatting JSON never changes a signature.
 *
 * Rules of the encoding (version 1):
 *   - integers big-endian, fixed width (u8 u16 u32 u64; i64 two's complement);
 *   - byte strings: u32 length then the bytes (put_bytes);
 *   - text: u16 length then the bytes, no NUL, never longer than the field's
 *     buffer allows (put_str);
 *   - fixed arrays (ids, hashes, signatures): the bytes alone (put_fixed);
 *   - every top-level object starts with a type tag byte (tsr_type) and a
 *     version byte (TSR_CODEC_VERSION);
 *   - a decoder accepts exactly one encoding per value: truncation, trailing
 *     bytes, over-long fields, a field value the encoder would refuse (e.g. a
 *     name with a forbidden character) are TSR_ERR_ENCODING, an unknown
 *     version is TSR_ERR_VERSION.
 *
 * Also here: the Merkle leaf of a ticket or cancel, the receipt hash chain,
 * the signed-object pattern used by seals and node receipts, the batch that
 * the node relay publishes on tsr.tickets.<node>, and strict JSON forms.
 *
 * Everything is pure and thread-safe; no function allocates except the
 * batch builder (once, at create) and the JSON converters (jansson).
 */
#ifndef TESSERA_CODEC_H
#define TESSERA_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/hash.h"
#include "tessera/keys.h"
#include "tessera/status.h"

/* ---- limits -------------------------------------------------------------- */

#define TSR_NAME_MAX 32    /* node, game, terminal ids: 1..31 chars of [A-Za-z0-9._-] */
#define TSR_BET_MAX 160    /* canonical bet bytes (made by the games module, opaque here) */
#define TSR_SERIAL_MAX 32  /* receipt serial: 1..31 chars of [A-Za-z0-9._-] */
#define TSR_TICKET_ID_LEN 16

/* The only encoding version this build reads and writes. */
#define TSR_CODEC_VERSION 1

/* Largest canonical encodings (checked with _Static_assert in codec.c). */
#define TSR_TICKET_ENC_MAX 314
#define TSR_CANCEL_ENC_MAX 112
#define TSR_SEAL_ENC_MAX 144
#define TSR_NODE_RECEIPT_ENC_MAX 83
/* A signed object: its encoding followed by a 64-byte signature. */
#define TSR_SIGNED_MAX(enc_max) ((enc_max) + TSR_SIG_LEN)

/* Entries per batch: 1024 keeps a batch to ~330 KB even when every entry is
 * a maximal ticket, and amortises one Ed25519 signature (~40 us to verify)
 * over enough tickets that central verifies far above the 15k bets/s peak. */
#define TSR_BATCH_MAX_ENTRIES 1024
/* Bytes per batch: 512 KiB stays under NATS's default 1 MiB max_payload with
 * room for headers, and bounds what central buffers per message. */
#define TSR_BATCH_MAX_BYTES (512 * 1024)

/* Type tags: the first byte of every top-level encoding, so bytes signed as
 * one kind of object can never be read as another. 1..63 belong to sync;
 * other modules add theirs here (additive change) from 64 up. */
typedef enum tsr_type {
    TSR_TYPE_TICKET = 1,
    TSR_TYPE_CANCEL = 2,
    TSR_TYPE_SEAL = 3,
    TSR_TYPE_NODE_RECEIPT = 4,
    TSR_TYPE_BATCH = 5,
    TSR_TYPE_CUTOFF_TOKEN = 6,
    TSR_TYPE_BEACON = 7,
    TSR_TYPE_RECEIPT_BATCH = 8
} tsr_type;

/* ---- writer ---------------------------------------------------------------- */

/* A bounded writer over a caller's buffer (borrowed). Writes past cap set
 * `overflow` and are dropped; tsr_enc_finish reports it once, so encoders
 * need not check every put. */
typedef struct tsr_enc {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} tsr_enc;

void tsr_enc_init(tsr_enc *e, void *buf, size_t cap);
void tsr_enc_put_u8(tsr_enc *e, uint8_t v);
void tsr_enc_put_u16(tsr_enc *e, uint16_t v);
void tsr_enc_put_u32(tsr_enc *e, uint32_t v);
void tsr_enc_put_u64(tsr_enc *e, uint64_t v);
void tsr_enc_put_i64(tsr_enc *e, int64_t v);
/* The bytes alone, no length (fixed-size fields). */
void tsr_enc_put_fixed(tsr_enc *e, const void *p, size_t n);
/* u32 length then the bytes; n above UINT32_MAX sets overflow. */
void tsr_enc_put_bytes(tsr_enc *e, const void *p, size_t n);
/* u16 length then strlen(s) bytes; longer than UINT16_MAX sets overflow. */
void tsr_enc_put_str(tsr_enc *e, const char *s);
/* TSR_OK and the length so far in *len (may be NULL), or TSR_ERR_TOO_LARGE
 * when any put overflowed. */
tsr_status tsr_enc_finish(const tsr_enc *e, size_t *len) TSR_MUST_CHECK;

/* ---- reader ---------------------------------------------------------------- */

/* A reader over a caller's buffer (borrowed). The first failure is sticky:
 * every later get fails too and zeroes its output, so a decoder may check
 * once, at tsr_dec_finish. */
typedef struct tsr_dec {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    bool error;
} tsr_dec;

void tsr_dec_init(tsr_dec *d, const void *buf, size_t len);
/* Each returns TSR_OK, or TSR_ERR_ENCODING on truncation (or after an
 * earlier failure). */
tsr_status tsr_dec_get_u8(tsr_dec *d, uint8_t *v);
tsr_status tsr_dec_get_u16(tsr_dec *d, uint16_t *v);
tsr_status tsr_dec_get_u32(tsr_dec *d, uint32_t *v);
tsr_status tsr_dec_get_u64(tsr_dec *d, uint64_t *v);
tsr_status tsr_dec_get_i64(tsr_dec *d, int64_t *v);
tsr_status tsr_dec_get_fixed(tsr_dec *d, void *out, size_t n);
/* u32-prefixed bytes into out[0..cap); *n gets the length. A length above
 * cap is TSR_ERR_ENCODING (over-long field). */
tsr_status tsr_dec_get_bytes(tsr_dec *d, void *out, size_t cap, size_t *n);
/* u32-prefixed bytes without copying: *p points into the reader's buffer
 * (borrowed). A length above max is TSR_ERR_ENCODING. */
tsr_status tsr_dec_get_bytes_ref(tsr_dec *d, const uint8_t **p, size_t *n, size_t max);
/* u16-prefixed text into out (NUL-terminated). A length >= cap or an
 * embedded NUL is TSR_ERR_ENCODING. */
tsr_status tsr_dec_get_str(tsr_dec *d, char *out, size_t cap);
/* Reads the tag and version of a top-level object: TSR_ERR_ENCODING when the
 * tag is not `type`, TSR_ERR_VERSION when the version is not ours. */
tsr_status tsr_dec_header(tsr_dec *d, tsr_type type);
/* TSR_OK when no get failed and every byte was consumed; TSR_ERR_ENCODING
 * otherwise (truncated, over-long or trailing bytes). */
tsr_status tsr_dec_finish(const tsr_dec *d) TSR_MUST_CHECK;

/* ---- the objects ----------------------------------------------------------- */

typedef enum tsr_channel { TSR_CHANNEL_ONLINE = 1, TSR_CHANNEL_RETAIL = 2 } tsr_channel;

typedef struct tsr_ticket {
    uint8_t id[16];            /* random 128-bit ticket id */
    char node[TSR_NAME_MAX];   /* selling node */
    uint64_t seq;              /* node outbox sequence number, 1-based, gapless per node */
    char game[TSR_NAME_MAX];
    uint32_t draw;             /* draw number within the game */
    uint8_t channel;           /* tsr_channel */
    uint16_t bet_len;
    uint8_t bet[TSR_BET_MAX];  /* canonical bet encoding from the games module */
    int64_t stake_cents;
    int64_t accepted_at_ns;    /* node clock, Unix ns UTC */
    char serial[TSR_SERIAL_MAX]; /* human-readable serial printed on the receipt */
    uint32_t check;            /* validation code printed on the receipt */
} tsr_ticket;

typedef struct tsr_cancel {    /* a voided ticket: streamed like a ticket */
    uint8_t ticket_id[16]; char node[TSR_NAME_MAX]; uint64_t seq; /* its own outbox seq */
    char game[TSR_NAME_MAX]; uint32_t draw; int64_t refund_cents; int64_t cancelled_at_ns;
} tsr_cancel;

typedef struct tsr_seal {      /* a node's signed statement of a draw's sales at cutoff */
    char node[TSR_NAME_MAX]; char game[TSR_NAME_MAX]; uint32_t draw;
    uint64_t count; int64_t stake_total_cents; uint64_t first_seq, last_seq;
    uint8_t merkle_root[32];   /* over the draw's non-cancelled tickets' leaf hashes in seq order */
    int64_t sealed_at_ns;
} tsr_seal;

typedef struct tsr_node_receipt { /* central: "I hold your entries up to seq N" */
    char node[TSR_NAME_MAX]; uint64_t up_to_seq; uint8_t chain[32]; int64_t issued_at_ns;
} tsr_node_receipt;

/*
 * Encoders append the object's canonical bytes to e (check tsr_enc_finish,
 * or the returned status which already includes it). They refuse values
 * that have no canonical form:
 *   TSR_ERR_RANGE  a name or serial that is empty or has a character outside
 *                  [A-Za-z0-9._-], channel not 1/2, seq 0, bet_len above
 *                  TSR_BET_MAX, a negative stake/refund/total, a seal with
 *                  first_seq > last_seq or count > last_seq-first_seq+1;
 *   TSR_ERR_TOO_LONG  a name or serial with no NUL within its buffer;
 *   TSR_ERR_TOO_LARGE the writer is full.
 * Decoders read exactly one object filling buf[0..len) into *out (zeroed
 * first): TSR_ERR_ENCODING (truncated, trailing, over-long, wrong tag, a
 * value the encoder would refuse), TSR_ERR_VERSION (unknown version).
 */
tsr_status tsr_ticket_encode(const tsr_ticket *t, tsr_enc *e) TSR_MUST_CHECK;
tsr_status tsr_ticket_decode(const void *buf, size_t len, tsr_ticket *out) TSR_MUST_CHECK;
tsr_status tsr_cancel_encode(const tsr_cancel *c, tsr_enc *e) TSR_MUST_CHECK;
tsr_status tsr_cancel_decode(const void *buf, size_t len, tsr_cancel *out) TSR_MUST_CHECK;
tsr_status tsr_seal_encode(const tsr_seal *s, tsr_enc *e) TSR_MUST_CHECK;
tsr_status tsr_seal_decode(const void *buf, size_t len, tsr_seal *out) TSR_MUST_CHECK;
tsr_status tsr_node_receipt_encode(const tsr_node_receipt *r, tsr_enc *e) TSR_MUST_CHECK;
tsr_status tsr_node_receipt_decode(const void *buf, size_t len,
                                   tsr_node_receipt *out) TSR_MUST_CHECK;

/* Merkle leaf hash of a ticket: tsr_merkle_leaf(canonical ticket bytes),
 * i.e. BLAKE2b-256(0x00 || bytes); the bytes start with the ticket's type
 * tag, so a ticket leaf never equals a cancel leaf. This is what seals'
 * Merkle roots and the receipt chain are built from. TSR_ERR_RANGE /
 * TSR_ERR_TOO_LONG for a ticket the encoder refuses. */
tsr_status tsr_ticket_leaf(const tsr_ticket *t, uint8_t out[TSR_HASH_LEN]) TSR_MUST_CHECK;
/* The same for a cancel (its entry hash in the receipt chain). */
tsr_status tsr_cancel_leaf(const tsr_cancel *c, uint8_t out[TSR_HASH_LEN]) TSR_MUST_CHECK;

/* The receipt hash chain over a node's outbox: chain_0 is 32 zero bytes and
 * chain_n = BLAKE2b-256("tsr-chain" || chain_{n-1} || entry_hash_n), where
 * entry_hash_n is the leaf hash of the ticket or cancel with seq n. A node
 * receipt's `chain` is chain_{up_to_seq}, so a node that computes the same
 * value knows central holds exactly its entries 1..N. out may alias prev. */
void tsr_chain_next(const uint8_t prev[TSR_HASH_LEN], const uint8_t entry_hash[TSR_HASH_LEN],
                    uint8_t out[TSR_HASH_LEN]);
/* chain_0: 32 zero bytes. */
void tsr_chain_init(uint8_t out[TSR_HASH_LEN]);

/* ---- signed objects: canonical bytes || Ed25519 signature over them -------- */

/* Writes body[0..len) followed by kp's signature of it into out (cap bytes),
 * the total in *out_len. TSR_ERR_TOO_LARGE when cap is too small. */
tsr_status tsr_signed_make(const tsr_keypair *kp, const void *body, size_t len,
                           uint8_t *out, size_t cap, size_t *out_len) TSR_MUST_CHECK;
/* Checks the trailing signature of buf[0..len) against pk and points *body
 * (borrowed, into buf) at the signed bytes. TSR_ERR_ENCODING when len is
 * shorter than a signature, TSR_ERR_SIGNATURE when it does not verify. */
tsr_status tsr_signed_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                           const uint8_t **body, size_t *body_len) TSR_MUST_CHECK;

/* Seal and node receipt in signed form (at most TSR_SIGNED_MAX(..._ENC_MAX)
 * bytes): encode + sign, and verify + decode. Errors of the encoder or
 * decoder plus TSR_ERR_SIGNATURE. */
tsr_status tsr_seal_sign(const tsr_seal *s, const tsr_keypair *kp, uint8_t *out,
                         size_t cap, size_t *out_len) TSR_MUST_CHECK;
tsr_status tsr_seal_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                         tsr_seal *out) TSR_MUST_CHECK;
tsr_status tsr_node_receipt_sign(const tsr_node_receipt *r, const tsr_keypair *kp,
                                 uint8_t *out, size_t cap, size_t *out_len) TSR_MUST_CHECK;
tsr_status tsr_node_receipt_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                                 tsr_node_receipt *out) TSR_MUST_CHECK;

/* ---- batches: what the node relay publishes -------------------------------- */

/*
 * Layout: u8 TSR_TYPE_BATCH, u8 version, str node, u64 first_seq,
 * u64 last_seq, u32 count, then count entries {u8 kind, u32 length,
 * canonical ticket or cancel bytes}, then the node's 64-byte Ed25519
 * signature over every byte before it. Entries carry seqs first..last with
 * no gap, in order, each naming the batch's node.
 */
typedef enum tsr_entry_kind { TSR_ENTRY_TICKET = 1, TSR_ENTRY_CANCEL = 2 } tsr_entry_kind;

typedef struct tsr_batch_builder tsr_batch_builder;

/* A builder for batches of `node` (copied). Owns *out. TSR_ERR_RANGE for an
 * invalid node name, TSR_ERR_NOMEM. */
tsr_status tsr_batch_builder_create(tsr_batch_builder **out, const char *node) TSR_MUST_CHECK;
/* Frees a builder; NULL-safe. */
void tsr_batch_builder_destroy(tsr_batch_builder *b);
/* Empties the builder for the next batch (keeps its node). */
void tsr_batch_builder_reset(tsr_batch_builder *b);
/* Appends a ticket / cancel. The first entry fixes first_seq; each next one
 * must have seq = previous + 1 and name the builder's node (TSR_ERR_ARG
 * otherwise). TSR_ERR_TOO_LARGE when the batch is full
 * (TSR_BATCH_MAX_ENTRIES or TSR_BATCH_MAX_BYTES): finish it and start the
 * next. Encoder errors as
 * tsr_ticket_encode. On error the builder is unchanged. */
tsr_status tsr_batch_add_ticket(tsr_batch_builder *b, const tsr_ticket *t) TSR_MUST_CHECK;
tsr_status tsr_batch_add_cancel(tsr_batch_builder *b, const tsr_cancel *c) TSR_MUST_CHECK;
/* Entries appended since create/reset. */
uint32_t tsr_batch_builder_count(const tsr_batch_builder *b);
/* Writes the signed batch into out (cap bytes; TSR_BATCH_MAX_BYTES always
 * suffices), its size in *out_len. TSR_ERR_ARG for an empty batch,
 * TSR_ERR_TOO_LARGE when cap is too small. The builder is left as is
 * (reset it for the next batch), so the same batch can be re-formed. */
tsr_status tsr_batch_finish(const tsr_batch_builder *b, const tsr_keypair *kp,
                            uint8_t *out, size_t cap, size_t *out_len) TSR_MUST_CHECK;

/* A batch's header. */
typedef struct tsr_batch_info {
    char node[TSR_NAME_MAX];
    uint64_t first_seq, last_seq;
    uint32_t count;
} tsr_batch_info;

/* An iterator over a verified batch's entries; borrows the batch buffer,
 * which must stay unchanged while iterating. */
typedef struct tsr_batch_iter {
    const uint8_t *p;
    size_t len, pos;
    uint32_t left;
} tsr_batch_iter;

/* One entry: the decoded ticket or cancel, its canonical bytes (borrowed
 * from the batch buffer) and its leaf hash (tsr_ticket_leaf /
 * tsr_cancel_leaf, ready for the receipt chain). */
typedef struct tsr_batch_entry {
    tsr_entry_kind kind;
    uint64_t seq;
    union {
        tsr_ticket ticket;
        tsr_cancel cancel;
    } u;
    const uint8_t *bytes;
    size_t len;
    uint8_t leaf[TSR_HASH_LEN];
} tsr_batch_entry;

/* Reads a batch's header WITHOUT checking anything else, so a receiver can
 * pick the node's key to verify with. The result is untrusted. Returns
 * TSR_ERR_ENCODING / TSR_ERR_VERSION / TSR_ERR_TOO_LARGE. */
tsr_status tsr_batch_peek(const void *buf, size_t len, tsr_batch_info *info) TSR_MUST_CHECK;

/* Verifies a whole batch and prepares *it to walk its entries (it may be
 * NULL). Checks, in order, each with its own status:
 *   TSR_ERR_TOO_LARGE   len above TSR_BATCH_MAX_BYTES;
 *   TSR_ERR_ENCODING    malformed or truncated header, entries or trailing
 *                       bytes, unknown entry kind, count 0 or above
 *                       TSR_BATCH_MAX_ENTRIES;
 *   TSR_ERR_VERSION     unknown batch or entry version;
 *   TSR_ERR_SIGNATURE   the signature is not pk's over the batch;
 *   TSR_ERR_BATCH_INCONSISTENT  seqs not exactly first..last in order, count
 *                       not last-first+1, or an entry naming another node.
 * The signature is checked before entries are decoded, so forged bytes are
 * never parsed beyond the header. */
tsr_status tsr_batch_verify(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                            tsr_batch_info *info, tsr_batch_iter *it) TSR_MUST_CHECK;

/* Decodes the next entry of a verified batch into *e. Returns false (and
 * leaves *e alone) when there are no more entries. */
bool tsr_batch_next(tsr_batch_iter *it, tsr_batch_entry *e);

/* ---- JSON forms (CoAP API, debugging) ------------------------------------- */

/*
 * to_json returns a new object (the caller owns the reference) or NULL when
 * out of memory. Byte arrays are lowercase hex; integers are JSON integers.
 * Ticket fields: id node seq game draw channel ("online"/"retail") bet
 * stake_cents accepted_at_ns serial check. Seal: node game draw count
 * stake_total_cents first_seq last_seq merkle_root sealed_at_ns. Node
 * receipt: node up_to_seq chain issued_at_ns.
 * from_json reads `j` (borrowed) strictly into *out: TSR_ERR_FIELD_TYPE (not
 * an object, or a field of the wrong JSON type), TSR_ERR_FIELD_UNKNOWN,
 * TSR_ERR_FIELD_MISSING, TSR_ERR_ENCODING (bad hex), TSR_ERR_RANGE /
 * TSR_ERR_TOO_LONG (values the encoder refuses, or out of the field's
 * integer range).
 */
json_t *tsr_ticket_to_json(const tsr_ticket *t);
tsr_status tsr_ticket_from_json(const json_t *j, tsr_ticket *out) TSR_MUST_CHECK;
json_t *tsr_seal_to_json(const tsr_seal *s);
tsr_status tsr_seal_from_json(const json_t *j, tsr_seal *out) TSR_MUST_CHECK;
json_t *tsr_node_receipt_to_json(const tsr_node_receipt *r);
tsr_status tsr_node_receipt_from_json(const json_t *j, tsr_node_receipt *out) TSR_MUST_CHECK;

#endif
