/*
 * The printed ticket of the retail terminal: a plain-text layout of a
 * lottery ticket and the QR code that lets any terminal scan it back.
 *
 * QR payload: "TSR1:<serial>:<check>" — the receipt's serial (node-seq,
 * e.g. "n1-42") and its six-digit validation code. It names the ticket
 * without revealing anything else; a claim needs both halves, and the
 * check digits are only on the paper. "TSR1" versions the format.
 */
#ifndef TESSERA_RECEIPT_H
#define TESSERA_RECEIPT_H

#include <jansson.h>
#include <stdio.h>

#include "tessera/status.h"

#define TSR_QR_PREFIX "TSR1"
/* Longest payload: prefix, two colons, a 31-char serial, a 15-char code. */
#define TSR_QR_PAYLOAD_MAX 64
#define TSR_QR_SERIAL_MAX 32
#define TSR_QR_CHECK_MAX 16
/* PNG scale: pixels per QR module (a thermal printer's 8 dots/mm gives
 * 1 mm modules), and the quiet zone the QR standard asks for (4). */
#define TSR_QR_PNG_SCALE 8
#define TSR_QR_QUIET 4
/* Width of the printed layout (a 58 mm roll prints ~42 columns). */
#define TSR_RECEIPT_WIDTH 42

/* Writes "TSR1:<serial>:<check>" into out. TSR_ERR_ARG for an empty or
 * over-long serial or check, or one with a ':' or a character outside
 * [A-Za-z0-9._-]; TSR_ERR_TOO_LARGE when cap is too small. */
tsr_status tsr_qr_payload(const char *serial, const char *check, char *out,
                          size_t cap) TSR_MUST_CHECK;

/* Parses a scanned or typed payload back (surrounding spaces ignored).
 * TSR_ERR_PROTO when it is not "TSR1:<serial>:<check>" with valid parts. */
tsr_status tsr_qr_parse(const char *payload, char serial[TSR_QR_SERIAL_MAX],
                        char check[TSR_QR_CHECK_MAX]) TSR_MUST_CHECK;

/* Prints the QR code of payload as UTF-8 half blocks (two module rows per
 * text line) with a quiet zone, dark modules as blocks. TSR_ERR_NOMEM
 * (libqrencode failed), TSR_ERR_ARG for an empty payload. */
tsr_status tsr_qr_print(const char *payload, FILE *out) TSR_MUST_CHECK;

/* Writes the QR code of payload as an 8-bit grayscale PNG file at path
 * (scale pixels per module, 1..64; quiet zone TSR_QR_QUIET modules).
 * TSR_ERR_IO when the file cannot be written, TSR_ERR_ARG, TSR_ERR_NOMEM. */
tsr_status tsr_qr_png(const char *payload, const char *path, int scale) TSR_MUST_CHECK;

/* Prints one ticket receipt (a node receipt object, borrowed) as the
 * ticket layout followed by its QR code. TSR_ERR_FIELD_MISSING when the
 * receipt lacks serial or check, plus the errors of tsr_qr_print. */
tsr_status tsr_receipt_print(const json_t *receipt, FILE *out) TSR_MUST_CHECK;

#endif
