/* Config loading through the key/type/min/max/default table. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/config.h"
#include "tsr_test.h"

typedef struct sample_cfg {
    int64_t port;
    char db_path[16];
    bool plain;
    json_t *peers;
} sample_cfg;

static const tsr_cfg_field fields[] = {
    TSR_CFG_INT(sample_cfg, port, "port", 1, 65535, 5683, "CoAP port"),
    TSR_CFG_STR(sample_cfg, db_path, "db_path", 1, "node.db", "database file"),
    TSR_CFG_BOOL(sample_cfg, plain, "allow_plain_coap", false, "plain CoAP"),
    TSR_CFG_JSON(sample_cfg, peers, "peers", JSON_ARRAY, false, "peer list"),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static tsr_status apply_text(const char *text, sample_cfg *cfg, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    ck_assert_msg(obj != NULL, "test JSON is malformed: %s", text);
    tsr_status st = tsr_config_apply(obj, fields, NFIELDS, cfg, err, errlen);
    json_decref(obj);
    return st;
}

START_TEST(defaults_apply_when_keys_are_absent)
{
    sample_cfg cfg;
    char err[256] = "";
    ck_assert_int_eq(apply_text("{}", &cfg, err, sizeof err), TSR_OK);
    ck_assert_int_eq(cfg.port, 5683);
    ck_assert_str_eq(cfg.db_path, "node.db");
    ck_assert(!cfg.plain);
    ck_assert_ptr_null(cfg.peers);
    tsr_config_free(fields, NFIELDS, &cfg);
}
END_TEST

START_TEST(values_are_applied)
{
    sample_cfg cfg;
    char err[256] = "";
    ck_assert_int_eq(apply_text("{\"port\":7000,\"db_path\":\"x.db\",\"allow_plain_coap\":true,"
                                "\"peers\":[1,2]}", &cfg, err, sizeof err), TSR_OK);
    ck_assert_int_eq(cfg.port, 7000);
    ck_assert_str_eq(cfg.db_path, "x.db");
    ck_assert(cfg.plain);
    ck_assert_int_eq(json_array_size(cfg.peers), 2);
    tsr_config_free(fields, NFIELDS, &cfg);
    ck_assert_ptr_null(cfg.peers);
}
END_TEST

static void expect_reject(const char *text, tsr_status want, const char *must_mention)
{
    sample_cfg cfg;
    char err[256] = "";
    ck_assert_int_eq(apply_text(text, &cfg, err, sizeof err), want);
    ck_assert_msg(strstr(err, must_mention) != NULL, "error '%s' does not mention '%s'", err, must_mention);
    tsr_config_free(fields, NFIELDS, &cfg);
}

START_TEST(bad_values_are_rejected_naming_key_and_bounds)
{
    expect_reject("{\"port\":0}", TSR_ERR_CONFIG_RANGE, "'port' = 0 is out of range [1, 65535]");
    expect_reject("{\"port\":70000}", TSR_ERR_CONFIG_RANGE, "[1, 65535]");
    expect_reject("{\"port\":\"80\"}", TSR_ERR_CONFIG_TYPE, "'port' must be an integer");
    expect_reject("{\"prot\":80}", TSR_ERR_CONFIG_UNKNOWN_KEY, "unknown config key 'prot'");
    expect_reject("{\"db_path\":\"\"}", TSR_ERR_CONFIG_RANGE, "'db_path' must be 1 to 15");
    expect_reject("{\"db_path\":\"a-very-long-file-name.db\"}", TSR_ERR_CONFIG_RANGE, "'db_path'");
    expect_reject("{\"db_path\":3}", TSR_ERR_CONFIG_TYPE, "'db_path' must be a string");
    expect_reject("{\"allow_plain_coap\":1}", TSR_ERR_CONFIG_TYPE, "true or false");
    expect_reject("{\"peers\":{}}", TSR_ERR_CONFIG_TYPE, "'peers' must be an array");
    expect_reject("[1]", TSR_ERR_CONFIG_TYPE, "JSON object");
}
END_TEST

typedef struct required_cfg {
    char node_id[32];
    int64_t n;
} required_cfg;

START_TEST(required_keys_must_be_present)
{
    static const tsr_cfg_field req[] = {
        TSR_CFG_REQ_STR(required_cfg, node_id, "node_id", 1, "the node's id"),
        TSR_CFG_INT(required_cfg, n, "n", 0, 10, 1, "n"),
    };
    required_cfg cfg;
    char err[256] = "";
    json_t *obj = json_pack("{s:i}", "n", 3);
    ck_assert_int_eq(tsr_config_apply(obj, req, 2, &cfg, err, sizeof err), TSR_ERR_FIELD_MISSING);
    ck_assert_msg(strstr(err, "'node_id' is required") != NULL, "%s", err);
    json_decref(obj);
}
END_TEST

START_TEST(files_are_loaded_and_errors_located)
{
    char dir[256], path[300];
    tsr_test_tmpdir("config", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/c.json", dir);
    sample_cfg cfg;
    char err[256] = "";
    ck_assert_int_eq(tsr_config_load_file(path, fields, NFIELDS, &cfg, err, sizeof err), TSR_ERR_IO);
    FILE *f = fopen(path, "w");
    fputs("{\"port\": 9000,\n \"db_path\": }", f);
    fclose(f);
    ck_assert_int_eq(tsr_config_load_file(path, fields, NFIELDS, &cfg, err, sizeof err), TSR_ERR_JSON);
    ck_assert_msg(strstr(err, ":2:") != NULL, "no line number in '%s'", err);
    f = fopen(path, "w");
    fputs("{\"port\": 9000, \"port\": 9001}", f);
    fclose(f);
    ck_assert_int_eq(tsr_config_load_file(path, fields, NFIELDS, &cfg, err, sizeof err), TSR_ERR_JSON);
    f = fopen(path, "w");
    fputs("{\"port\": 9000}", f);
    fclose(f);
    ck_assert_int_eq(tsr_config_load_file(path, fields, NFIELDS, &cfg, err, sizeof err), TSR_OK);
    ck_assert_int_eq(cfg.port, 9000);
    tsr_config_free(fields, NFIELDS, &cfg);
    tsr_test_rmtree(dir);
}
END_TEST

START_TEST(effective_config_is_logged_with_secrets_masked)
{
    static const tsr_cfg_field with_secret[] = {
        {"psk", TSR_CFG_TYPE_STRING, 1, 0, 0, "hunter2", offsetof(sample_cfg, db_path), 16, false, true, "secret"},
        TSR_CFG_INT(sample_cfg, port, "port", 1, 65535, 5683, "CoAP port"),
    };
    sample_cfg cfg;
    char err[256];
    json_t *obj = json_object();
    ck_assert_int_eq(tsr_config_apply(obj, with_secret, 2, &cfg, err, sizeof err), TSR_OK);
    json_decref(obj);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    tsr_log *l;
    ck_assert_int_eq(tsr_log_create(&l, mem, NULL, "t", TSR_LOG_INFO), TSR_OK);
    tsr_config_log(l, with_secret, 2, &cfg);
    fclose(mem);
    ck_assert(strstr(buf, "key=psk value=<secret>") != NULL);
    ck_assert(strstr(buf, "hunter2") == NULL);
    ck_assert(strstr(buf, "key=port value=5683") != NULL);
    free(buf);
    tsr_log_destroy(l);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults_apply_when_keys_are_absent);
    tcase_add_test(tc, values_are_applied);
    tcase_add_test(tc, bad_values_are_rejected_naming_key_and_bounds);
    tcase_add_test(tc, required_keys_must_be_present);
    tcase_add_test(tc, files_are_loaded_and_errors_located);
    tcase_add_test(tc, effective_config_is_logged_with_secrets_masked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(config_suite()); }
