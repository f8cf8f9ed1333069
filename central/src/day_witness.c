/* The two ways central reaches its witnesses: in-process (tsr_witness, for
 * the demo and tests) and as tessera-witness programs (production: each
 * witness is its own process, ideally on its own machine and operator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "day_int.h"

/* Output of one tessera-witness call: a JSON object of a few KB. */
#define WITNESS_OUT_MAX (64 * 1024)


static tsr_status inproc_commit(void *ctx, size_t i, const char *game, uint32_t draw,
                                tsr_witness_commitment *out, char *why, size_t why_len)
{
    const tsr_day_witness_set *p = ctx;
    (void)why;
    (void)why_len;
    return i < p->n ? tsr_witness_commit(p->inproc[i], game, draw, out) : TSR_ERR_ARG;
}

static tsr_status inproc_reveal(void *ctx, size_t i, const tsr_draw_manifest *m,
                                const char *path, tsr_draw_witness *out, char *why,
                                size_t why_len)
{
    const tsr_day_witness_set *p = ctx;
    (void)path;
    return i < p->n ? tsr_witness_reveal(p->inproc[i], m, out, why, why_len) : TSR_ERR_ARG;
}

/* Runs argv, capturing stdout (and stderr into why on failure). Returns
 * the parsed stdout JSON or NULL with why set. */
static json_t *run_witness(char *const argv[], tsr_status *st, char *why, size_t why_len)
{
    char cmd[4096] = "";
    for (size_t i = 0; argv[i]; i++) {
        size_t used = strlen(cmd);
        snprintf(cmd + used, sizeof cmd - used, "%s'%s'", i ? " " : "", argv[i]);
    }
    size_t used = strlen(cmd);
    snprintf(cmd + used, sizeof cmd - used, " 2>&1");
    FILE *f = popen(cmd, "r");
    if (!f) {
        *st = TSR_ERR_IO;
        snprintf(why, why_len, "cannot run %s", argv[0]);
        return NULL;
    }
    char *out = calloc(1, WITNESS_OUT_MAX);
    size_t n = out ? fread(out, 1, WITNESS_OUT_MAX - 1, f) : 0;
    int rc = pclose(f);
    json_error_t err;
    json_t *j = NULL;
    if (out && rc == 0 && (j = json_loadb(out, n, 0, &err)) != NULL) {
        *st = TSR_OK;
    } else {
        *st = rc > 0 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77 ? TSR_ERR_WITNESS_TOO_EARLY
                                                                : TSR_ERR_UNAVAILABLE;
        if (out && strstr(out, "only after"))
            *st = TSR_ERR_WITNESS_TOO_EARLY;
        snprintf(why, why_len, "%s", out ? strtok(out, "\n") ? out : "" : "");
    }
    free(out);
    return j;
}

static tsr_status cli_commit(void *ctx, size_t i, const char *game, uint32_t draw,
                             tsr_witness_commitment *out, char *why, size_t why_len)
{
    const tsr_day_witness_set *c = ctx;
    char dn[16];
    snprintf(dn, sizeof dn, "%u", draw);
    char *argv[] = {(char *)c->bin, "commit", "--dir", (char *)c->dirs[i], "--game",
                    (char *)game, "--draw", dn, NULL};
    tsr_status st;
    json_t *j = run_witness(argv, &st, why, why_len);
    if (j)
        st = tsr_witness_commitment_from_json(j, out);
    json_decref(j);
    return st;
}

static tsr_status cli_reveal(void *ctx, size_t i, const tsr_draw_manifest *m, const char *path,
                             tsr_draw_witness *out, char *why, size_t why_len)
{
    const tsr_day_witness_set *c = ctx;
    (void)m;
    char *argv[] = {(char *)c->bin, "reveal", "--dir", (char *)c->dirs[i], "--manifest",
                    (char *)path, NULL};
    tsr_status st;
    json_t *j = run_witness(argv, &st, why, why_len);
    if (j)
        st = tsr_draw_witness_from_json(json_object_get(j, "witness"), out);
    json_decref(j);
    return st;
}

void tsr_day_witnesses(tsr_day_witness_ops *ops, const tsr_day_witness_set *set)
{
    *ops = (tsr_day_witness_ops){.ctx = (void *)set, .count = set->n,
                                 .commit = set->inproc ? inproc_commit : cli_commit,
                                 .reveal = set->inproc ? inproc_reveal : cli_reveal};
}
