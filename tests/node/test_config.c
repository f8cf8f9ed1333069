/* The node's config and startup refusals, in-process and through the
 * tessera-node binary (exit codes, messages, clean stop on SIGTERM). */
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "node_fixture.h"

static fx F;

static void setup(void) { fx_setup(&F, "config"); }
static void teardown(void) { fx_teardown(&F); }

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A valid config file for the fixture's keys, plus `extra` members. */
static void write_config(const char *path, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"node_id\":\"n1\",\"db_path\":\"%s\",\"node_key\":\"%s\","
             "\"draw_authority_key\":\"%s\",\"psk_table\":\"%s\",\"catalog_file\":\"%s\","
             "\"allow_plain_coap\":true,\"coap_port\":0%s}",
             F.cfg.db_path, F.cfg.node_key, F.cfg.draw_authority_key, F.cfg.psk_table,
             F.cfg.catalog_file, extra);
    write_file(path, text);
}

static tsr_status load(const char *extra, char *err, size_t len)
{
    char p[200];
    fx_path(&F, "c.json", p, sizeof p);
    write_config(p, extra);
    tsr_node_config c;
    tsr_status s = tsr_node_config_load(&c, p, err, len);
    tsr_node_config_free(&c);
    return s;
}

START_TEST(the_config_is_checked_key_by_key)
{
    char err[256];
    ck_assert_int_eq(load("", err, sizeof err), TSR_OK);
    ck_assert_int_eq(load(",\"nonsense\":1", err, sizeof err), TSR_ERR_CONFIG_UNKNOWN_KEY);
    ck_assert_ptr_nonnull(strstr(err, "nonsense"));
    ck_assert_int_eq(load(",\"queue_max\":1", err, sizeof err), TSR_ERR_CONFIG_RANGE);
    ck_assert_ptr_nonnull(strstr(err, "queue_max"));
    ck_assert_int_eq(load(",\"void_window_s\":\"x\"", err, sizeof err), TSR_ERR_CONFIG_TYPE);
    ck_assert_int_eq(load(",\"clock\":\"sundial\"", err, sizeof err), TSR_ERR_CONFIG_RANGE);
    ck_assert_int_eq(load(",\"listen_addr\":\"localhost\"", err, sizeof err), TSR_ERR_CONFIG_RANGE);
    ck_assert_int_eq(load(",\"log_level\":\"loud\"", err, sizeof err), TSR_ERR_CONFIG_RANGE);
    ck_assert_int_eq(load(",\"cancel_games\":[1]", err, sizeof err), TSR_ERR_CONFIG_TYPE);
    ck_assert_int_eq(load(",\"cert_file\":\"/x.pem\"", err, sizeof err), TSR_ERR_CONFIG);
    /* plain CoAP off and no DTLS port: nothing to listen on */
    char p[200];
    fx_path(&F, "c.json", p, sizeof p);
    write_file(p, "{\"node_id\":\"n1\",\"db_path\":\"x\",\"node_key\":\"k\",\"draw_authority_key\":\"a\"}");
    tsr_node_config c;
    ck_assert_int_eq(tsr_node_config_load(&c, p, err, sizeof err), TSR_ERR_CONFIG);
    tsr_node_config_free(&c);
    write_file(p, "{\"node_id\":\"n1\"}");
    ck_assert_int_eq(tsr_node_config_load(&c, p, err, sizeof err), TSR_ERR_FIELD_MISSING);
    tsr_node_config_free(&c);
    write_file(p, "{\"node_id\":");
    ck_assert_int_eq(tsr_node_config_load(&c, p, err, sizeof err), TSR_ERR_JSON);
    tsr_node_config_free(&c);
}
END_TEST

static tsr_status try_start(void)
{
    fx_current_ = &F;
    tsr_node_opts o = {&F.cfg, &F.env, NULL, 0};
    tsr_node *n = NULL;
    tsr_status s = tsr_node_start(&n, &o);
    tsr_node_stop(n);
    return s;
}

START_TEST(startup_refuses_bad_keys_and_newer_databases)
{
    ck_assert_int_eq(chmod(F.cfg.node_key, 0644), 0);
    ck_assert_int_eq(try_start(), TSR_ERR_KEY_PERMS);
    ck_assert_int_eq(chmod(F.cfg.node_key, 0600), 0);
    ck_assert_int_eq(chmod(F.cfg.psk_table, 0604), 0);
    ck_assert_int_eq(try_start(), TSR_ERR_KEY_PERMS);
    ck_assert_int_eq(chmod(F.cfg.psk_table, 0600), 0);
    char saved[256];
    memcpy(saved, F.cfg.draw_authority_key, sizeof saved);
    snprintf(F.cfg.draw_authority_key, sizeof F.cfg.draw_authority_key, "%s/missing.pub", F.dir);
    ck_assert_int_eq(try_start(), TSR_ERR_KEY_FILE);
    memcpy(F.cfg.draw_authority_key, saved, sizeof saved);
    memcpy(saved, F.cfg.node_key, sizeof saved);
    snprintf(F.cfg.node_key, sizeof F.cfg.node_key, "%s/missing.key", F.dir);
    ck_assert_int_eq(try_start(), TSR_ERR_KEY_FILE);
    memcpy(F.cfg.node_key, saved, sizeof saved);
    ck_assert_int_eq(try_start(), TSR_OK);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(F.cfg.db_path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(try_start(), TSR_ERR_DB_NEWER);
}
END_TEST

START_TEST(the_daemon_logs_its_config_and_stops_cleanly_on_sigterm)
{
    char cfgp[200], logp[200], bin[256];
    fx_path(&F, "node.json", cfgp, sizeof cfgp);
    fx_path(&F, "node.log", logp, sizeof logp);
    write_config(cfgp, ",\"clock\":\"offset\"");
    tsr_test_bin("tessera-node", bin, sizeof bin);
    char *argv[] = {bin, "--config", cfgp, NULL};
    pid_t pid = tsr_test_spawn(logp, argv);
    ck_assert_int_gt(pid, 0);
    char out[65536];
    for (int i = 0; i < 200; i++) {
        tsr_test_sh_capture(out, sizeof out, "cat '%s'", logp);
        if (strstr(out, "event=listening"))
            break;
        usleep(20 * 1000);
    }
    ck_assert_ptr_nonnull(strstr(out, "event=listening"));
    ck_assert_ptr_nonnull(strstr(out, "key=node_id value=\"n1\""));
    ck_assert_ptr_nonnull(strstr(out, "NOT THE SYSTEM CLOCK"));
    kill(pid, SIGTERM);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), 0);
    tsr_test_sh_capture(out, sizeof out, "cat '%s'", logp);
    ck_assert_ptr_nonnull(strstr(out, "event=node_stopped"));
}
END_TEST

START_TEST(the_daemon_refuses_a_bad_config_with_a_clear_message)
{
    char cfgp[200], logp[200], bin[256], out[8192];
    fx_path(&F, "bad.json", cfgp, sizeof cfgp);
    fx_path(&F, "bad.log", logp, sizeof logp);
    write_config(cfgp, ",\"max_stake_cents\":0");
    tsr_test_bin("tessera-node", bin, sizeof bin);
    char *argv[] = {bin, "--config", cfgp, NULL};
    pid_t pid = tsr_test_spawn(logp, argv);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), EX_CONFIG);
    tsr_test_sh_capture(out, sizeof out, "cat '%s'", logp);
    ck_assert_ptr_nonnull(strstr(out, "max_stake_cents"));
    /* world-readable node key */
    write_config(cfgp, "");
    ck_assert_int_eq(chmod(F.cfg.node_key, 0644), 0);
    pid = tsr_test_spawn(logp, argv);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), EX_CONFIG);
    tsr_test_sh_capture(out, sizeof out, "cat '%s'", logp);
    ck_assert_ptr_nonnull(strstr(out, "readable by group or others"));
    char *usage[] = {bin, NULL};
    pid = tsr_test_spawn(logp, usage);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), EX_USAGE);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_config");
    TCase *t = tcase_create("config");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, the_config_is_checked_key_by_key);
    tcase_add_test(t, startup_refuses_bad_keys_and_newer_databases);
    tcase_add_test(t, the_daemon_logs_its_config_and_stops_cleanly_on_sigterm);
    tcase_add_test(t, the_daemon_refuses_a_bad_config_with_a_clear_message);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }
