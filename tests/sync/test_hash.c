/* BLAKE2b-256 known answers, the incremental form, hex helpers. */
#include <check.h>
#include <string.h>

#include "tessera/hash.h"
#include "tsr_test.h"

static void hex_of(const uint8_t h[TSR_HASH_LEN], char out[TSR_HASH_HEX_SIZE])
{
    tsr_hex_encode(out, TSR_HASH_HEX_SIZE, h, TSR_HASH_LEN);
}

START_TEST(blake2b_256_known_answers)
{
    uint8_t h[TSR_HASH_LEN];
    char hex[TSR_HASH_HEX_SIZE];
    tsr_hash256(h, NULL, 0);
    hex_of(h, hex);
    ck_assert_str_eq(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    tsr_hash256(h, "abc", 3);
    hex_of(h, hex);
    ck_assert_str_eq(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}
END_TEST

START_TEST(incremental_equals_one_shot_at_every_split)
{
    uint8_t data[200], one[TSR_HASH_LEN], inc[TSR_HASH_LEN];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    tsr_hash256(one, data, sizeof data);
    for (size_t cut = 0; cut <= sizeof data; cut++) {
        tsr_hash_ctx h;
        tsr_hash256_init(&h);
        tsr_hash256_update(&h, data, cut);
        tsr_hash256_update(&h, data + cut, sizeof data - cut);
        tsr_hash256_final(&h, inc);
        ck_assert_mem_eq(one, inc, TSR_HASH_LEN);
    }
    data[199] ^= 1;
    tsr_hash256(inc, data, sizeof data);
    ck_assert(memcmp(one, inc, TSR_HASH_LEN) != 0);
}
END_TEST

START_TEST(hex_round_trips_and_rejects_bad_input)
{
    const uint8_t bytes[4] = {0x00, 0xab, 0x7f, 0xff};
    char hex[9];
    ck_assert_str_eq(tsr_hex_encode(hex, sizeof hex, bytes, 4), "00ab7fff");
    uint8_t back[4];
    ck_assert_int_eq(tsr_hex_decode(back, 4, "00ab7fff"), TSR_OK);
    ck_assert_mem_eq(back, bytes, 4);
    ck_assert_int_eq(tsr_hex_decode(back, 4, "00AB7FFF"), TSR_OK);
    ck_assert_mem_eq(back, bytes, 4);
    ck_assert_int_eq(tsr_hex_decode(back, 4, "00ab7ff"), TSR_ERR_ENCODING);   /* short */
    ck_assert_int_eq(tsr_hex_decode(back, 4, "00ab7fff0"), TSR_ERR_ENCODING); /* long */
    ck_assert_int_eq(tsr_hex_decode(back, 4, "00ab7fgf"), TSR_ERR_ENCODING);  /* not hex */
    ck_assert_int_eq(tsr_hex_decode(back, 4, " 0ab7fff"), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_hex_decode(back, 4, NULL), TSR_ERR_ENCODING);
    ck_assert_int_eq(back[1], 0); /* zeroed on failure */
    uint8_t var[4];
    size_t n;
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, "abcd"), TSR_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, ""), TSR_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, "abc"), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, "abcdx0"), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, "0011223344"), TSR_ERR_TOO_LONG);
    ck_assert_int_eq(tsr_hex_decode_max(var, 4, &n, NULL), TSR_ERR_ENCODING);
}
END_TEST

static Suite *hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, blake2b_256_known_answers);
    tcase_add_test(tc, incremental_equals_one_shot_at_every_split);
    tcase_add_test(tc, hex_round_trips_and_rejects_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(hash_suite()); }
