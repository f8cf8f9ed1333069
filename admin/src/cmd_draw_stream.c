/*
 * `tessera draw-stream`: writes the raw output of the draw's HMAC_DRBG for a
 * given entropy value, exactly the bytes a draw consumes (draw.h), so the
 * generator can be fed to statistical batteries such as dieharder.
 *
 *   tessera draw-stream --seed-hex HEX64 [--bytes N] [--out FILE]
 *
 * HEX64 is the 32-byte entropy E (a record's "entropy" field). N = 0 (the
 * default) streams until the reader closes the pipe:
 *   tessera draw-stream --seed-hex $E | dieharder -a -g 200
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/admin.h"
#include "tessera/draw.h"

int tsr_cmd_draw_stream(int argc, char **argv);

/* Bytes per write: large enough that the pipe, not the loop, is the cost. */
#define CHUNK (64 * 1024)

typedef struct opts {
    uint8_t seed[TSR_HASH_LEN];
    bool have_seed;
    uint64_t bytes;
    const char *out;
} opts;

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera draw-stream --seed-hex HEX64 [--bytes N] [--out FILE]\n"
                "Writes the draw's HMAC_DRBG output for entropy HEX64 (32 bytes);\n"
                "N = 0 (default) streams until the reader stops.\n");
}

static tsr_status parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--seed-hex") == 0 && v) {
            if (tsr_hex_decode(o->seed, sizeof o->seed, v) != TSR_OK)
                return TSR_ERR_ENCODING;
            o->have_seed = true;
        } else if (strcmp(a, "--bytes") == 0 && v) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || *end || v[0] == '-' || !*v)
                return TSR_ERR_USAGE;
            o->bytes = n;
        } else if (strcmp(a, "--out") == 0 && v) {
            o->out = v;
        } else {
            return TSR_ERR_USAGE;
        }
        i++;
    }
    return o->have_seed ? TSR_OK : TSR_ERR_USAGE;
}

static int stream_to(FILE *f, const opts *o)
{
    tsr_draw_stream *s;
    tsr_status st = tsr_draw_stream_create(&s, o->seed);
    if (st != TSR_OK)
        return tsr_admin_fail("draw-stream", st, NULL);
    static uint8_t buf[CHUNK];
    uint64_t left = o->bytes;
    int rc = 0;
    while (o->bytes == 0 || left > 0) {
        size_t n = (o->bytes == 0 || left > CHUNK) ? CHUNK : (size_t)left;
        st = tsr_draw_stream_read(s, buf, n);
        if (st != TSR_OK) {
            rc = tsr_admin_fail("draw-stream", st, NULL);
            break;
        }
        if (fwrite(buf, 1, n, f) != n) {
            /* A reader that had enough (dieharder) closes the pipe: that
             * ends an unbounded stream normally. */
            if (!(errno == EPIPE && o->bytes == 0))
                rc = tsr_admin_fail("draw-stream", TSR_ERR_IO, strerror(errno));
            break;
        }
        left -= n;
    }
    tsr_draw_stream_destroy(s);
    return rc;
}

int tsr_cmd_draw_stream(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    opts o;
    tsr_status st = parse(argc, argv, &o);
    if (st != TSR_OK) {
        usage(stderr);
        return st == TSR_ERR_USAGE ? EX_USAGE : tsr_admin_fail("draw-stream", st, "--seed-hex wants 64 hex digits");
    }
    signal(SIGPIPE, SIG_IGN);
    FILE *f = o.out ? fopen(o.out, "wb") : stdout;
    if (!f)
        return tsr_admin_fail("draw-stream", TSR_ERR_IO, o.out);
    int rc = stream_to(f, &o);
    if (fclose(f) != 0 && rc == 0 && !(errno == EPIPE && o.bytes == 0))
        rc = tsr_admin_fail("draw-stream", TSR_ERR_IO, strerror(errno));
    return rc;
}
