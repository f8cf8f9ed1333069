/* Private to codec*.c and token.c: the value checks shared by encoders,
 * decoders and the JSON readers. */
#ifndef TESSERA_CODEC_INT_H
#define TESSERA_CODEC_INT_H

#include "tessera/codec.h"

/* A name field (char[size]): TSR_ERR_TOO_LONG when it has no NUL within
 * size, TSR_ERR_RANGE when empty or with a forbidden character. */
tsr_status tsr_codec_check_name(const char *buf, size_t size);

/* The values an encoder refuses (see codec.h), as TSR_ERR_RANGE or
 * TSR_ERR_TOO_LONG. */
tsr_status tsr_codec_check_ticket(const tsr_ticket *t);
tsr_status tsr_codec_check_cancel(const tsr_cancel *c);
tsr_status tsr_codec_check_seal(const tsr_seal *s);
tsr_status tsr_codec_check_node_receipt(const tsr_node_receipt *r);

/* Decodes one whole top-level object of `type` from buf[0..len): header,
 * then read_body, then no trailing bytes, then `check` (a refused value is
 * TSR_ERR_ENCODING). out (size bytes) is zeroed first and on failure. */
typedef void (*tsr_codec_reader)(tsr_dec *d, void *out);
typedef tsr_status (*tsr_codec_checker)(const void *obj);
tsr_status tsr_codec_decode_object(const void *buf, size_t len, tsr_type type,
                                   tsr_codec_reader read_body, tsr_codec_checker check,
                                   void *out, size_t size);

#endif
