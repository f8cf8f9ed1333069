/* tessera-central as a program: config errors with their exit codes, the
 * admin commands (status, alarms, exclude, draw-add, draw-ready) beside a
 * running daemon, a clean stop on SIGTERM, and kill -9 of the daemon while
 * three relays stream: after a restart every entry is at central exactly
 * once and no outbox row was released before central held it. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "relay_fixture.h"

static fake_outbox ob[3];
static char out[65536];

typedef struct daemon {
    fx f;
    char bin[512], config[400], log[400];
    pid_t pid;
} central_proc;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Keys on disk, the way tessera keygen leaves them, and a config. */
static void write_keys_and_config(central_proc *d, const char *extra)
{
    fx *f = &d->f;
    char p[400], nodes[1200] = "";
    tsr_test_sh("rm -f '%s'/*.key '%s'/*.pub", f->dir, f->dir);
    snprintf(p, sizeof p, "%s/central.key", f->dir);
    ck_assert_int_eq(tsr_key_write_secret(p, &f->central_kp), TSR_OK);
    snprintf(p, sizeof p, "%s/authority.key", f->dir);
    ck_assert_int_eq(tsr_key_write_secret(p, &f->beacon_kp), TSR_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s.pub", f->dir, f->names[i]);
        ck_assert_int_eq(tsr_key_write_public(p, f->node_kp[i].pk), TSR_OK);
        snprintf(nodes + strlen(nodes), sizeof nodes - strlen(nodes),
                 "%s{\"name\":\"%s\",\"public_key\":\"%s\"}", i ? "," : "", f->names[i], p);
    }
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "{\"central_id\":\"c1\",\"nats_url\":\"%s\",\"db_path\":\"%s\","
             "\"central_key\":\"%s/central.key\",\"draw_authority_key\":\"%s/authority.key\","
             "\"nodes\":[%s],\"receipt_interval_ms\":0,\"replay_grace_ms\":300,"
             "\"replay_interval_ms\":300,\"seal_grace_ms\":1000,\"log_level\":\"info\"%s}",
             f->nats.url, f->db, f->dir, f->dir, nodes, extra);
    snprintf(d->config, sizeof d->config, "%s/central.json", f->dir);
    write_file(d->config, cfg);
}

static void daemon_setup(central_proc *d)
{
    memset(d, 0, sizeof *d);
    fx_start(&d->f, 3);
    tsr_central_close(d->f.central); /* the program is central in these tests */
    d->f.central = NULL;
    tsr_test_bin("tessera-central", d->bin, sizeof d->bin);
    snprintf(d->log, sizeof d->log, "%s/central.log", d->f.dir);
    write_keys_and_config(d, "");
}

static void daemon_spawn(central_proc *d)
{
    char *argv[] = {d->bin, "run", "--config", d->config, NULL};
    d->pid = tsr_test_spawn(d->log, argv);
    ck_assert_int_gt(d->pid, 0);
}

/* Runs `tessera-central <args> --config <config>`, output in out. */
static int cli(central_proc *d, const char *args)
{
    return tsr_test_sh_capture(out, sizeof out, "'%s' %s --config '%s' 2>&1", d->bin, args,
                               d->config);
}

static void wait_log(central_proc *d, const char *what)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -q '%s' '%s'", what, d->log);
    for (int k = 0; k < 500; k++) {
        if (tsr_test_sh("%s", cmd) == 0)
            return;
        sleep_ms(10);
    }
    tsr_test_sh("cat '%s'", d->log);
    ck_abort_msg("the daemon never logged %s", what);
}

START_TEST(usage_and_config_errors_have_clear_exit_codes)
{
    central_proc d;
    daemon_setup(&d);
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "'%s' 2>&1", d.bin), EX_USAGE);
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "'%s' frobnicate 2>&1", d.bin), EX_USAGE);
    ck_assert_ptr_nonnull(strstr(out, "unknown command"));
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "'%s' status 2>&1", d.bin), EX_USAGE);
    ck_assert_int_eq(cli(&d, "status --bogus 1"), EX_USAGE);
    ck_assert_int_eq(cli(&d, "draw-ready --game lotto --draw -1"), EX_USAGE);
    ck_assert_int_eq(cli(&d, "draw-ready --game 'no good' --draw 1"), EX_USAGE);
    ck_assert_int_eq(cli(&d, "exclude --node n1 --game lotto --draw 1"), EX_USAGE); /* no reason */
    /* No store: the admin commands say so instead of creating one. */
    ck_assert_int_eq(tsr_test_sh("rm -f '%s'*", d.f.db), 0);
    ck_assert_int_eq(cli(&d, "status"), EX_NOINPUT);
    ck_assert_ptr_nonnull(strstr(out, "not found"));
    ck_assert_int_eq(cli(&d, "alarms"), EX_NOINPUT);
    /* Config faults name the key. */
    write_keys_and_config(&d, ",\"replicas\":2");
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "replicas"));
    write_keys_and_config(&d, ",\"colour\":\"blue\"");
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "colour"));
    write_keys_and_config(&d, ",\"clock\":\"sundial\"");
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "clock"));
    write_keys_and_config(&d, ",\"beacon_interval_ms\":5");
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "beacon_interval_ms"));
    /* A secret key readable by others is refused before it is read. */
    write_keys_and_config(&d, "");
    char key[400];
    snprintf(key, sizeof key, "%s/central.key", d.f.dir);
    ck_assert_int_eq(chmod(key, 0644), 0);
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "central_key"));
    /* A node without a key file. */
    ck_assert_int_eq(chmod(key, 0600), 0);
    tsr_test_sh("rm -f '%s/n2.pub'", d.f.dir);
    ck_assert_int_eq(cli(&d, "run"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "n2"));
    fx_stop(&d.f);
}
END_TEST

START_TEST(admin_commands_beside_a_running_daemon_and_sigterm)
{
    central_proc d;
    daemon_setup(&d);
    daemon_spawn(&d);
    wait_log(&d, "central_started");
    ck_assert_int_eq(cli(&d, "status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "n1"));
    ck_assert_ptr_nonnull(strstr(out, "NO")); /* no node connected yet */
    ck_assert_int_eq(cli(&d, "status --json"), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_array_size(json_object_get(j, "nodes")), 3);
    json_decref(j);
    ck_assert_int_eq(cli(&d, "draw-add --game lotto --draw 9 --cutoff-at-ns 1"), 0);
    ck_assert_int_eq(cli(&d, "draw-ready --game lotto --draw 9"), EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "no seal from this node yet"));
    ck_assert_ptr_nonnull(strstr(out, "late"));
    for (int i = 0; i < 3; i++) {
        char args[200];
        snprintf(args, sizeof args, "exclude --node %s --game lotto --draw 9 --reason 'site flooded'"
                 " --operator alice", d.f.names[i]);
        ck_assert_int_eq(cli(&d, args), 0);
    }
    ck_assert_int_eq(cli(&d, "exclude --node n1 --game lotto --draw 9 --reason again"), EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "already excluded"));
    ck_assert_int_eq(cli(&d, "exclude --node n9 --game lotto --draw 9 --reason x"), EX_NOINPUT);
    ck_assert_int_eq(cli(&d, "draw-ready --game lotto --draw 9 --json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"ready\": true"));
    ck_assert_int_eq(fx_query(d.f.db, "SELECT count(*) FROM audit WHERE event='node_excluded'"), 3);
    ck_assert_int_eq(cli(&d, "alarms"), 0);
    ck_assert_ptr_nonnull(strstr(out, "no alarms"));
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(tsr_test_wait(d.pid, 5000), 0);
    ck_assert_int_eq(tsr_test_sh("grep -q 'central_stopped' '%s'", d.log), 0);
    ck_assert_int_eq(tsr_test_sh("grep -q 'central_id' '%s'", d.log), 0); /* effective config */
    fx_stop(&d.f);
}
END_TEST

static int64_t central_entries(fx *f)
{
    return fx_query(f->db, "SELECT count(*) FROM entries");
}

START_TEST(kill_9_mid_stream_loses_and_duplicates_nothing)
{
    central_proc d;
    daemon_setup(&d);
    tsr_relay *r[3];
    for (int i = 0; i < 3; i++) {
        fo_init(&ob[i], d.f.names[i], d.f.db, 9);
        r[i] = fo_relay(&d.f, &ob[i], i, NULL, NULL);
    }
    daemon_spawn(&d);
    wait_log(&d, "central_started");
    /* Sell in slices while central ingests; kill it once it holds some. */
    bool killed = false;
    for (int round = 0; round < 3000 && !(killed && ob[0].n >= 3000); round++) {
        for (int i = 0; i < 3; i++) {
            if (ob[i].n < 3000)
                fo_sell(&ob[i], 100);
            ck_assert_int_eq(tsr_relay_step(r[i], 2), TSR_OK);
        }
        if (!killed && central_entries(&d.f) > 0) {
            kill(d.pid, SIGKILL);
            ck_assert_int_eq(tsr_test_wait(d.pid, 5000), 128 + SIGKILL);
            killed = true;
        }
    }
    ck_assert(killed);
    int64_t held_at_kill = central_entries(&d.f);
    ck_assert_int_lt(held_at_kill, 9000);
    daemon_spawn(&d);
    for (int k = 0; k < 3000; k++) {
        bool done = true;
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(tsr_relay_step(r[i], 2), TSR_OK);
            done = done && ob[i].deleted == ob[i].n;
        }
        if (done)
            break;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(ob[i].deleted, ob[i].n);
        ck_assert_int_eq(ob[i].violations, 0);
        tsr_relay_stop(r[i]);
    }
    ck_assert_int_eq(central_entries(&d.f), 9000);
    ck_assert_int_eq(fx_query(d.f.db, "SELECT count(DISTINCT ticket_id) FROM entries"), 9000);
    ck_assert_int_eq(fx_query(d.f.db, "SELECT sum(contig_seq) FROM nodes"), 9000);
    ck_assert_int_eq(fx_query(d.f.db, "SELECT count(*) FROM alarms"), 0);
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(tsr_test_wait(d.pid, 5000), 0);
    fx_stop(&d.f);
}
END_TEST

static Suite *daemon_suite(void)
{
    Suite *s = suite_create("central_daemon");
    TCase *tc = tcase_create("daemon");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, usage_and_config_errors_have_clear_exit_codes);
    tcase_add_test(tc, admin_commands_beside_a_running_daemon_and_sigterm);
    tcase_add_test(tc, kill_9_mid_stream_loses_and_duplicates_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(daemon_suite()); }
