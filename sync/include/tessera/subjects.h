/*
 * The NATS subjects and JetStream streams of the edge-central bus: one
 * place that names them, so the relay (node side), central and the docs
 * never disagree.
 *
 *   stream         subjects                   producer  consumer(s)
 *   TSR_TICKETS    tsr.tickets.<node>         node      central (durable "central")
 *   TSR_SEALS      tsr.seals.<node>           node      central (durable "central")
 *   TSR_RECEIPTS   tsr.receipts.<node>        central   node (durable "node-<node>")
 *   TSR_CTL        tsr.ctl.<node>.<kind>      central   node (durable "node-<node>")
 *   TSR_REPLAY     tsr.replay.<node>          central   node (durable "node-<node>")
 *   TSR_BEACONS    tsr.beacon                 central   nodes (plain subscription)
 *   TSR_STATUS     tsr.status.<node>          node      central (plain subscription)
 *
 * Control messages are fanned out per node (tsr.ctl.<node>.<kind>) rather
 * than broadcast on one subject, because a nats-server 2.9 consumer has a
 * single filter subject: one filter "tsr.ctl.<node>.>" then gives each node
 * everything meant for it, in order, through one durable consumer.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TESSERA_SUBJECTS_H
#define TESSERA_SUBJECTS_H

#include <stddef.h>

#include "tessera/status.h"

/* Longest subject or consumer name we build: prefix + a 31-char node name +
 * a control kind, with room to spare. */
#define TSR_SUBJECT_MAX 96

/* Control kinds (the last token of tsr.ctl.<node>.<kind>). */
typedef enum tsr_ctl_kind {
    TSR_CTL_CATALOG = 1, /* the signed game catalogue */
    TSR_CTL_TOKEN,       /* a signed cutoff token for an upcoming draw */
    TSR_CTL_EXCLUSION,   /* a self-exclusion entry */
    TSR_CTL_RESULT,      /* a signed draw result */
    TSR_CTL_PAYOUT       /* a payout for a ticket sold by this node */
} tsr_ctl_kind;
#define TSR_CTL_KIND_COUNT 5

/* Stream names. */
#define TSR_STREAM_TICKETS "TSR_TICKETS"
#define TSR_STREAM_SEALS "TSR_SEALS"
#define TSR_STREAM_RECEIPTS "TSR_RECEIPTS"
#define TSR_STREAM_CTL "TSR_CTL"
#define TSR_STREAM_REPLAY "TSR_REPLAY"
#define TSR_STREAM_BEACONS "TSR_BEACONS"
#define TSR_STREAM_STATUS "TSR_STATUS"

/* Fixed subjects. */
#define TSR_SUBJ_BEACON "tsr.beacon"
#define TSR_SUBJ_TICKETS_ALL "tsr.tickets.>"
#define TSR_SUBJ_SEALS_ALL "tsr.seals.>"
#define TSR_SUBJ_STATUS_ALL "tsr.status.>"

/* Durable consumer of central on TSR_TICKETS and TSR_SEALS. */
#define TSR_DURABLE_CENTRAL "central"

/* Which per-node subject to build. */
typedef enum tsr_subject_kind {
    TSR_SUBJ_TICKETS,  /* tsr.tickets.<node> */
    TSR_SUBJ_SEALS,    /* tsr.seals.<node> */
    TSR_SUBJ_RECEIPTS, /* tsr.receipts.<node> */
    TSR_SUBJ_REPLAY,   /* tsr.replay.<node> */
    TSR_SUBJ_STATUS,   /* tsr.status.<node> */
    TSR_SUBJ_CTL_ALL   /* tsr.ctl.<node>.> (a node's control filter) */
} tsr_subject_kind;

/* Writes the subject of `kind` for `node` into out (cap bytes).
 * TSR_ERR_RANGE for an invalid node name (tsr_name_valid, and no dot:
 * a node is one subject token), TSR_ERR_ARG for
 * an unknown kind, TSR_ERR_TOO_LARGE when cap is too small. */
tsr_status tsr_subject_node(tsr_subject_kind kind, const char *node, char *out,
                            size_t cap) TSR_MUST_CHECK;

/* Writes tsr.ctl.<node>.<kind>. Errors as tsr_subject_node. */
tsr_status tsr_subject_ctl(const char *node, tsr_ctl_kind kind, char *out,
                           size_t cap) TSR_MUST_CHECK;

/* The name of a control kind ("catalog", "token", "exclusion", "result",
 * "payout"); static. NULL for an unknown kind. */
const char *tsr_ctl_kind_name(tsr_ctl_kind kind);

/* Parses a control kind name. TSR_ERR_NOT_FOUND when unknown. */
tsr_status tsr_ctl_kind_parse(const char *name, tsr_ctl_kind *out) TSR_MUST_CHECK;

/* Extracts <node> from a per-node subject "tsr.<what>.<node>" (the last
 * token for tickets, seals, receipts, replay, status; the third for ctl)
 * into node (TSR_NAME_MAX bytes). TSR_ERR_PROTO when the subject has
 * another shape or the node name is invalid. */
tsr_status tsr_subject_node_of(const char *subject, char *node, size_t cap) TSR_MUST_CHECK;

/* Durable consumer name of a node ("node-<node>"). Errors as
 * tsr_subject_node. */
tsr_status tsr_durable_node(const char *node, char *out, size_t cap) TSR_MUST_CHECK;

/* Nats-Msg-Id of a batch, "<node>:<first>-<last>", so the same batch
 * re-published after a restart or reconnect is deduplicated by JetStream.
 * TSR_ERR_RANGE for an invalid node or first > last or first == 0. */
tsr_status tsr_batch_msg_id(const char *node, unsigned long long first_seq,
                            unsigned long long last_seq, char *out,
                            size_t cap) TSR_MUST_CHECK;

#endif
