/*
 * An independent draw witness (DESIGN.md, "The draw (verifiable)"): holds its
 * own Ed25519 key and one seed per draw, commits to the seed when asked, and
 * reveals it only after it has seen the draw's manifest signed by the pinned
 * draw-authority key, after the cutoff. If any one witness is honest, nobody
 * can predict or steer the numbers: the seed is fixed before sales (its
 * commitment is in the cutoff token) and revealed only once the seals are
 * fixed (the reveal is signed together with the manifest root M).
 *
 * The program tessera-witness is a thin CLI over this; central can run a
 * witness in-process in tests.
 *
 * State directory (mode 0700), every file written once (O_EXCL) and fsynced:
 *   witness.key               the witness's secret key (keys.h format, 0600)
 *   authority.pub             the pinned draw-authority public key
 *   seed-<game>-<draw>.json   {"game","draw","seed"} (0600), made at commit
 *   reveal-<game>-<draw>.json {"game","draw","root"}: what it revealed for
 * A witness never reveals a draw it did not commit to, never reveals for a
 * second, different manifest root, and never overwrites a seed.
 */
#ifndef TESSERA_WITNESS_H
#define TESSERA_WITNESS_H

#include <jansson.h>
#include <stdint.h>

#include "tessera/clock.h"
#include "tessera/draw.h"
#include "tessera/keys.h"
#include "tessera/rng.h"
#include "tessera/status.h"

/* A path inside the state directory fits in this. */
#define TSR_WITNESS_PATH_MAX 4096

typedef struct tsr_witness tsr_witness;

/* What a commitment hands to central: the witness key, the commitment c
 * and the witness's signature of (game, draw, c). */
typedef struct tsr_witness_commitment {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    uint8_t pk[TSR_PK_LEN];
    uint8_t commitment[TSR_HASH_LEN];
    uint8_t sig[TSR_SIG_LEN];
} tsr_witness_commitment;

/* Creates a state directory: the directory (mode 0700, may exist empty or
 * not exist), a new witness key from `rng` (borrowed; must be the real
 * CSPRNG unless allow_seeded, for tests: TSR_ERR_RNG_SEEDED), and the
 * pinned authority key copied from authority_pk. TSR_ERR_EXISTS when a key
 * is already there, TSR_ERR_IO. */
tsr_status tsr_witness_init(const char *dir, const uint8_t authority_pk[TSR_PK_LEN],
                            tsr_rng *rng, bool allow_seeded) TSR_MUST_CHECK;

/* Opens a state directory. rng makes seeds (real CSPRNG required unless
 * allow_seeded); clock says whether the cutoff has passed. Both borrowed,
 * they must outlive the witness. TSR_ERR_KEY_FILE / TSR_ERR_KEY_PERMS for
 * the key files, TSR_ERR_RNG_SEEDED, TSR_ERR_NOMEM. Owns *out. */
tsr_status tsr_witness_open(tsr_witness **out, const char *dir, tsr_rng *rng,
                            tsr_clock *clock, bool allow_seeded) TSR_MUST_CHECK;

/* Closes (and wipes the key of) a witness; NULL-safe. */
void tsr_witness_close(tsr_witness *w);

/* The witness's public key. */
void tsr_witness_public_key(const tsr_witness *w, uint8_t pk[TSR_PK_LEN]);

/* Commits to a seed for (game, draw): makes and stores it on first call,
 * keeps it afterwards (the same commitment every time). TSR_ERR_RANGE for
 * an invalid game name, TSR_ERR_IO. */
tsr_status tsr_witness_commit(tsr_witness *w, const char *game, uint32_t draw,
                              tsr_witness_commitment *out) TSR_MUST_CHECK;

/* Reveals the seed for the manifest's draw, filling *out with the complete
 * record entry (commitment, both signatures, seed). Checks, in order:
 *   the manifest verifies against the pinned authority key
 *     (TSR_ERR_DRAW_AUTHORITY, TSR_ERR_SIGNATURE, TSR_ERR_DRAW_MANIFEST,
 *     TSR_ERR_DRAW_MISMATCH);
 *   this witness committed for that game and draw
 *     (TSR_ERR_WITNESS_NOT_COMMITTED);
 *   the token lists its commitment (TSR_ERR_WITNESS_NOT_LISTED);
 *   the clock is at or past the token's cutoff (TSR_ERR_WITNESS_TOO_EARLY);
 *   it has not revealed for another root (TSR_ERR_WITNESS_REVEALED).
 * Then it records the reveal and returns it; asking again with the same
 * manifest returns the same reveal. `why` (may be NULL) gets the detail. */
tsr_status tsr_witness_reveal(tsr_witness *w, const tsr_draw_manifest *m,
                              tsr_draw_witness *out, char *why, size_t why_len) TSR_MUST_CHECK;

/* JSON of a commitment: {"type":"tessera-witness-commitment","game","draw",
 * "key_id","pk","commitment","sig"} (new reference or NULL), and its strict
 * reading, which also checks the signature (TSR_ERR_SIGNATURE). */
json_t *tsr_witness_commitment_to_json(const tsr_witness_commitment *c);
tsr_status tsr_witness_commitment_from_json(const json_t *j,
                                            tsr_witness_commitment *out) TSR_MUST_CHECK;

#endif
