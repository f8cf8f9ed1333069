/* Receipt layout, QR payload, QR as text blocks and as PNG (libpng). */
#include "tessera/receipt.h"

#include <ctype.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool part_valid(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

tsr_status tsr_qr_payload(const char *serial, const char *check, char *out, size_t cap)
{
    if (!serial || !check || !out || !part_valid(serial, TSR_QR_SERIAL_MAX) ||
        !part_valid(check, TSR_QR_CHECK_MAX))
        return TSR_ERR_ARG;
    int n = snprintf(out, cap, "%s:%s:%s", TSR_QR_PREFIX, serial, check);
    return n > 0 && (size_t)n < cap ? TSR_OK : TSR_ERR_TOO_LARGE;
}

tsr_status tsr_qr_parse(const char *payload, char serial[TSR_QR_SERIAL_MAX],
                        char check[TSR_QR_CHECK_MAX])
{
    if (!payload)
        return TSR_ERR_PROTO;
    while (isspace((unsigned char)*payload))
        payload++;
    char buf[TSR_QR_PAYLOAD_MAX];
    size_t n = strlen(payload);
    while (n > 0 && isspace((unsigned char)payload[n - 1]))
        n--;
    if (n >= sizeof buf)
        return TSR_ERR_PROTO;
    memcpy(buf, payload, n);
    buf[n] = '\0';
    const size_t plen = strlen(TSR_QR_PREFIX);
    if (strncmp(buf, TSR_QR_PREFIX, plen) != 0 || buf[plen] != ':')
        return TSR_ERR_PROTO;
    char *s = buf + plen + 1, *c = strchr(s, ':');
    if (!c)
        return TSR_ERR_PROTO;
    *c++ = '\0';
    if (!part_valid(s, TSR_QR_SERIAL_MAX) || !part_valid(c, TSR_QR_CHECK_MAX))
        return TSR_ERR_PROTO;
    memcpy(serial, s, strlen(s) + 1); /* part_valid bounded both lengths */
    memcpy(check, c, strlen(c) + 1);
    return TSR_OK;
}

static QRcode *encode(const char *payload)
{
    /* 8-bit mode and level M: the payload is short, M survives a creased
     * or smudged slip (15 % of the modules) and keeps the symbol small. */
    return QRcode_encodeString8bit(payload, 0, QR_ECLEVEL_M);
}

/* Module (x, y) of the symbol with its quiet zone around it: dark? */
static bool dark(const QRcode *q, int x, int y, int quiet)
{
    x -= quiet;
    y -= quiet;
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return false;
    return q->data[y * q->width + x] & 1;
}

tsr_status tsr_qr_print(const char *payload, FILE *out)
{
    if (!payload || !*payload)
        return TSR_ERR_ARG;
    QRcode *q = encode(payload);
    if (!q)
        return TSR_ERR_NOMEM;
    const int quiet = 2, size = q->width + 2 * quiet;
    for (int y = 0; y < size; y += 2) {
        for (int x = 0; x < size; x++) {
            bool top = dark(q, x, y, quiet), bottom = y + 1 < size && dark(q, x, y + 1, quiet);
            fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", out);
        }
        fputc('\n', out);
    }
    QRcode_free(q);
    return TSR_OK;
}

static tsr_status write_png(FILE *f, const QRcode *q, int scale)
{
    const int quiet = TSR_QR_QUIET, px = (q->width + 2 * quiet) * scale;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = malloc((size_t)px);
    tsr_status st = TSR_ERR_NOMEM;
    if (!png || !info || !row)
        goto out;
    st = TSR_ERR_IO;
    if (setjmp(png_jmpbuf(png)))
        goto out;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)px, (png_uint_32)px, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < px; y++) {
        for (int x = 0; x < px; x++)
            row[x] = dark(q, x / scale, y / scale, quiet) ? 0 : 255;
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    st = TSR_OK;
out:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(row);
    return st;
}

tsr_status tsr_qr_png(const char *payload, const char *path, int scale)
{
    if (!payload || !*payload || !path || scale < 1 || scale > 64)
        return TSR_ERR_ARG;
    QRcode *q = encode(payload);
    if (!q)
        return TSR_ERR_NOMEM;
    FILE *f = fopen(path, "wb");
    tsr_status st = f ? write_png(f, q, scale) : TSR_ERR_IO;
    if (f && fclose(f) != 0 && st == TSR_OK)
        st = TSR_ERR_IO;
    QRcode_free(q);
    return st;
}

/* ---- the ticket layout ------------------------------------------------------- */

static const char *str_of(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

static void rule(FILE *out, char c)
{
    for (int i = 0; i < TSR_RECEIPT_WIDTH; i++)
        fputc(c, out);
    fputc('\n', out);
}

static void print_numbers(const json_t *bet, const char *key, const char *label, FILE *out)
{
    const json_t *a = json_object_get(bet, key);
    if (!json_is_array(a) || json_array_size(a) == 0)
        return;
    fprintf(out, " %-8s", label);
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) fprintf(out, " %2lld", (long long)json_integer_value(v));
    fputc('\n', out);
}

static void print_bet(const json_t *r, FILE *out)
{
    const json_t *bet = json_object_get(r, "bet");
    const char *type = json_string_value(json_object_get(bet, "type"));
    fprintf(out, " Bet:     %s%s\n", type ? type : "?",
            json_is_true(json_object_get(bet, "quick_pick")) ? " (quick pick)" : "");
    print_numbers(bet, "numbers", "Numbers:", out);
    print_numbers(bet, "second", "Ball:", out);
}

tsr_status tsr_receipt_print(const json_t *r, FILE *out)
{
    const char *serial = str_of(r, "serial"), *check = str_of(r, "check");
    char payload[TSR_QR_PAYLOAD_MAX];
    if (!*serial || !*check)
        return TSR_ERR_FIELD_MISSING;
    tsr_status st = tsr_qr_payload(serial, check, payload, sizeof payload);
    if (st != TSR_OK)
        return st;
    rule(out, '=');
    fprintf(out, "%*s\n", (TSR_RECEIPT_WIDTH + 15) / 2, "TESSERA LOTTERY");
    rule(out, '-');
    fprintf(out, " Game:    %-18s Draw %lld\n", str_of(r, "game"),
            (long long)json_integer_value(json_object_get(r, "draw")));
    print_bet(r, out);
    fprintf(out, " Stake:   %s\n", str_of(r, "stake"));
    fprintf(out, " Sold:    %s\n", str_of(r, "accepted_at"));
    fprintf(out, " Node:    %-12s Seq %lld\n", str_of(r, "node"),
            (long long)json_integer_value(json_object_get(r, "seq")));
    fprintf(out, " Serial:  %s\n Check:   %s\n", serial, check);
    fprintf(out, " Ticket:  %s\n", str_of(r, "ticket_id"));
    if (strcmp(str_of(r, "state"), "cancelled") == 0)
        fprintf(out, " *** CANCELLED - NOT VALID FOR PRIZES ***\n");
    rule(out, '-');
    st = tsr_qr_print(payload, out);
    fprintf(out, " %s\n Sig: %.32s...\n", payload, str_of(r, "sig"));
    rule(out, '=');
    return st;
}
