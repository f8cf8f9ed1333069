/* Private state of a load run (load.c, load_setup.c, load_report.c). */
#ifndef TESSERA_LOAD_INT_H
#define TESSERA_LOAD_INT_H

#include "tessera/client.h"
#include "tessera/loadgen.h"

/* Session tokens of the node are at most this long (node sessions.h). */
#define LOAD_TOKEN_MAX 160
#define LOAD_TICKET_ID_MAX 64
/* Path with a session query and a ticket id. */
#define LOAD_PATH_MAX 256

typedef struct load_user {
    int target;                   /* index into the clients */
    char token[LOAD_TOKEN_MAX];   /* the query that names the caller:
                                     "session=<token>[&terminal=<id>]" */
    bool busy;                    /* closed loop: a request is in flight */
} load_user;

/* One request in flight. */
typedef struct load_req {
    struct load_run *run;
    int64_t intended_ns;          /* open loop: when it was meant to go */
    int user;
    uint8_t op;
    bool measured;                /* after the warm-up */
    bool used;
} load_req;

typedef struct load_recent {      /* a recent ticket, for cancels and claims */
    char id[LOAD_TICKET_ID_MAX];
    char serial[LOAD_TICKET_ID_MAX];
    char check[24];               /* the validation code, as its JSON text */
    int user;
} load_recent;

typedef struct load_run {
    const tsr_load_opts *o;
    tsr_load_report *rep;
    tsr_client *clients[TSR_LOAD_TARGETS_MAX];
    tsr_rng *rng;
    tsr_gen_game games[TSR_GEN_GAMES_MAX];
    size_t ngames;
    load_user *users;
    int nusers;
    int next_user;                /* round robin */
    load_req *reqs;
    int *free_reqs;
    int nfree, nreqs;
    load_recent recent[TSR_LOAD_RECENT_MAX];
    int recent_head, recent_count;
    uint64_t key_seq;             /* idempotency keys: ld-<seed>-<seq> */
    unsigned mix_total;
    int64_t start_ns, warm_ns, last_answer_ns;
    bool sending;                 /* closed loop: users send again on answer */
} load_run;

/* Setup (load_setup.c): the catalogue of target 0 and the players. */
tsr_status load_setup(load_run *r, char *err, size_t errlen) TSR_MUST_CHECK;

#endif
