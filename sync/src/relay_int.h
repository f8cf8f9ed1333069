/* Private to the relay: its state, shared by relay.c and relay_io.c. */
#ifndef TSR_RELAY_INT_H
#define TSR_RELAY_INT_H

#include <pthread.h>

#include "tessera/relay.h"
#include "tessera/transport.h"

typedef enum rbatch_state { RB_NEW, RB_SENT, RB_ACKED } rbatch_state;

typedef struct rbatch {
    uint64_t first, last;
    char msg_id[TSR_SUBJECT_MAX];
    rbatch_state state;
    int64_t sent_at_ns;
    uint8_t *bytes; /* owned */
    size_t len;
} rbatch;

struct tsr_relay {
    tsr_relay_opts o;
    char node[TSR_NAME_MAX];
    char subj_tickets[TSR_SUBJECT_MAX], subj_seals[TSR_SUBJECT_MAX],
        subj_status[TSR_SUBJECT_MAX], subj_receipts[TSR_SUBJECT_MAX],
        subj_replay[TSR_SUBJECT_MAX], subj_ctl[TSR_SUBJECT_MAX], durable[TSR_SUBJECT_MAX];
    uint8_t central_pk[TSR_PK_LEN];
    tsr_js *js;
    tsr_js_pull *receipts, *replay, *ctl;
    tsr_js_sub *beacons;
    tsr_batch_builder *builder;
    uint64_t anchor_seq;
    uint8_t anchor_chain[TSR_HASH_LEN];
    uint64_t formed_seq;       /* last seq placed in a batch */
    uint64_t persisted_upto;   /* boundaries loaded from the store up to here */
    rbatch win[TSR_RELAY_WINDOW];
    int n_win;
    uint64_t reconnects_seen;
    uint64_t last_beacon_seq;
    int64_t last_status_ns, last_seal_pass_ns;
    uint64_t replay_counter;
    pthread_mutex_t mu; /* guards stats */
    tsr_relay_stats stats;
    pthread_t thread;
    bool thread_started;
    volatile bool stop;
};

int64_t relay_now(tsr_relay *r);
/* relay_io.c: the central -> node direction and the periodic work. */
tsr_status relay_bus_setup(tsr_relay *r) TSR_MUST_CHECK;
tsr_status relay_replays(tsr_relay *r) TSR_MUST_CHECK;
tsr_status relay_controls(tsr_relay *r) TSR_MUST_CHECK;
void relay_beacons(tsr_relay *r);
tsr_status relay_seals(tsr_relay *r, const char *only_game, uint32_t only_draw) TSR_MUST_CHECK;
void relay_status(tsr_relay *r);
/* relay.c: re-publishes window batches overlapping [from, to] under a
 * fresh message id (a replay must get past JetStream's dedup). */
void relay_republish_range(tsr_relay *r, uint64_t from, uint64_t to);

#endif
