/*
 * Helpers shared by the test suites: temporary directories, free loopback
 * ports, paths of built programs, and a real nats-server with JetStream
 * started on a free loopback port in a temp dir (and always stopped).
 */
#ifndef TSR_TEST_H
#define TSR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Makes a fresh directory under $TMPDIR (or /tmp) named tessera-<tag>-XXXXXX
 * and writes its path to out. Aborts the test on failure. */
void tsr_test_tmpdir(const char *tag, char *out, size_t len);

/* Removes a directory tree (best effort). */
void tsr_test_rmtree(const char *path);

/* A port on 127.0.0.1 that was free a moment ago (udp or tcp). */
int tsr_test_free_port(bool udp);

/* Path of a built program: $TSR_BIN_DIR/<name> (set by CTest). */
void tsr_test_bin(const char *name, char *out, size_t len);

/* Path of a source file: $TSR_SOURCE_DIR/<rel>. */
void tsr_test_src(const char *rel, char *out, size_t len);

/* Runs a shell command, returns its exit status (or -1); output to the test
 * log. */
int tsr_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command, captures stdout into out (NUL-terminated, cut at
 * len-1), returns the exit status. */
int tsr_test_sh_capture(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A nats-server with JetStream on 127.0.0.1:port, its store in dir. */
typedef struct tsr_test_nats {
    pid_t pid;
    int port;
    char dir[256];
    char url[64];
} tsr_test_nats;

/* Starts nats-server -js on a free port (or n->port if already set and
 * reuse_dir) and waits until it accepts connections. Returns false on
 * failure. */
bool tsr_test_nats_start(tsr_test_nats *n);

/* Restarts on the same port and store directory (a broker restart mid-test). */
bool tsr_test_nats_restart(tsr_test_nats *n);

/* Stops it (SIGTERM, then SIGKILL) and, when remove_dir, deletes the store. */
void tsr_test_nats_stop(tsr_test_nats *n, bool remove_dir);

/* Starts a program in the background with argv (NULL-terminated), stdout and
 * stderr appended to log_path (may be NULL). Returns its pid or -1. */
pid_t tsr_test_spawn(const char *log_path, char *const argv[]);

/* Waits up to timeout_ms for pid to exit; returns its exit status, or -1 on
 * timeout (the process is left running). */
int tsr_test_wait(pid_t pid, int timeout_ms);

/* Sends sig and reaps (SIGKILL after 5 s if still running). */
void tsr_test_kill(pid_t pid, int sig);

/* Waits until a TCP port on 127.0.0.1 accepts connections. */
bool tsr_test_wait_tcp(int port, int timeout_ms);



#include <check.h>
/* Runs a Check suite (freeing it) and returns the process exit code. */
int tsr_test_run(Suite *s);
#endif
