/* Receipts: QR payload format, the QR as text blocks and as a PNG that a
 * real decoder (zbar's zbarimg) reads back, the ticket layout. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/receipt.h"
#include "tsr_test.h"

START_TEST(payload_round_trips_and_rejects_junk)
{
    char p[TSR_QR_PAYLOAD_MAX], serial[TSR_QR_SERIAL_MAX], check[TSR_QR_CHECK_MAX];
    ck_assert_int_eq(tsr_qr_payload("n1-42", "004711", p, sizeof p), TSR_OK);
    ck_assert_str_eq(p, "TSR1:n1-42:004711");
    ck_assert_int_eq(tsr_qr_parse("  TSR1:n1-42:004711\n", serial, check), TSR_OK);
    ck_assert_str_eq(serial, "n1-42");
    ck_assert_str_eq(check, "004711");
    ck_assert_int_eq(tsr_qr_payload("", "1", p, sizeof p), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_qr_payload("a:b", "1", p, sizeof p), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_qr_payload("n1-1", "1 2", p, sizeof p), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_qr_payload(NULL, "1", p, sizeof p), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_qr_payload("n1-1", "123", p, 8), TSR_ERR_TOO_LARGE);
    char longserial[40];
    memset(longserial, 'a', sizeof longserial - 1);
    longserial[sizeof longserial - 1] = '\0';
    ck_assert_int_eq(tsr_qr_payload(longserial, "1", p, sizeof p), TSR_ERR_ARG);
    const char *bad[] = {"", "TSR1", "TSR1:", "TSR1:n1-1", "TSR1::123", "TSR1:n1-1:", "TSR2:n1-1:1",
                         "tsr1:n1-1:1", "TSR1:n1 1:2", "TSR1:n1-1:2:3",
                         "TSR1:n1-1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(tsr_qr_parse(bad[i], serial, check) == TSR_ERR_PROTO, "%s", bad[i]);
    ck_assert_int_eq(tsr_qr_parse(NULL, serial, check), TSR_ERR_PROTO);
}
END_TEST

START_TEST(png_decodes_back_with_zbarimg)
{
    char dir[256], png[300], out[256];
    tsr_test_tmpdir("qr", dir, sizeof dir);
    snprintf(png, sizeof png, "%s/t.png", dir);
    ck_assert_int_eq(tsr_qr_png("TSR1:node-7-123456:000042", png, TSR_QR_PNG_SCALE), TSR_OK);
    int rc = tsr_test_sh_capture(out, sizeof out, "zbarimg --raw -q '%s'", png);
    ck_assert_int_eq(rc, 0);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_str_eq(out, "TSR1:node-7-123456:000042");
    ck_assert_int_eq(tsr_qr_png("x", png, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_qr_png("", png, 4), TSR_ERR_ARG);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no/such/dir/t.png", dir);
    ck_assert_int_eq(tsr_qr_png("x", missing, 4), TSR_ERR_IO);
    tsr_test_rmtree(dir);
}
END_TEST

START_TEST(text_qr_uses_half_blocks_with_a_quiet_zone)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(tsr_qr_print("TSR1:n1-1:000001", f), TSR_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "\u2588"));
    ck_assert_ptr_nonnull(strstr(buf, "\u2580") ? strstr(buf, "\u2580") : strstr(buf, "\u2584"));
    /* the first line is the quiet zone: spaces only */
    ck_assert_int_gt((int)strspn(buf, " "), 20);
    ck_assert_int_eq(buf[strspn(buf, " ")], '\n');
    free(buf);
    ck_assert_int_eq(tsr_qr_print("", stdout), TSR_ERR_ARG);
}
END_TEST

START_TEST(receipt_layout_has_the_ticket_and_its_qr)
{
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:s,s:s,s:{s:s,s:[i,i,i,i,i,i]}}",
                          "ticket_id", "00112233445566778899aabbccddeeff", "serial", "n1-42", "check",
                          "004711", "game", "lotto649", "draw", 20412, "stake", "3.00", "accepted_at",
                          "2026-11-23T14:59:59.123Z", "node", "n1", "seq", 42, "sig", "abcdef",
                          "state", "active", "bet", "type", "standard", "numbers", 3, 11, 19, 27, 35, 43);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(tsr_receipt_print(r, f), TSR_OK);
    fclose(f);
    const char *want[] = {"TESSERA LOTTERY", "lotto649", "Draw 20412", "standard", " 3 11 19 27 35 43",
                          "3.00", "n1-42", "004711", "TSR1:n1-42:004711", "\u2588", NULL};
    for (int i = 0; want[i]; i++)
        ck_assert_msg(strstr(buf, want[i]), "missing %s in\n%s", want[i], buf);
    ck_assert_ptr_null(strstr(buf, "CANCELLED"));
    free(buf);
    json_object_set_new(r, "state", json_string("cancelled"));
    f = open_memstream(&buf, &len);
    ck_assert_int_eq(tsr_receipt_print(r, f), TSR_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "CANCELLED"));
    free(buf);
    json_object_del(r, "check");
    ck_assert_int_eq(tsr_receipt_print(r, stdout), TSR_ERR_FIELD_MISSING);
    json_object_set_new(r, "check", json_string("bad code"));
    ck_assert_int_eq(tsr_receipt_print(r, stdout), TSR_ERR_ARG);
    json_decref(r);
}
END_TEST

static Suite *receipt_suite(void)
{
    Suite *s = suite_create("terminal_receipt");
    TCase *tc = tcase_create("receipt");
    tcase_add_test(tc, payload_round_trips_and_rejects_junk);
    tcase_add_test(tc, png_decodes_back_with_zbarimg);
    tcase_add_test(tc, text_qr_uses_half_blocks_with_a_quiet_zone);
    tcase_add_test(tc, receipt_layout_has_the_ticket_and_its_qr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(receipt_suite()); }
