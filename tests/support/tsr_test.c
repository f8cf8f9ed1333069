#include "tsr_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "test support: %s: %s\n", what, strerror(errno));
    abort();
}

void tsr_test_tmpdir(const char *tag, char *out, size_t len)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, len, "%s/tessera-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(out))
        die("mkdtemp");
}

void tsr_test_rmtree(const char *path)
{
    if (path && *path && strncmp(path, "/", 2) != 0)
        (void)tsr_test_sh("rm -rf '%s'", path);
}

int tsr_test_free_port(bool udp)
{
    int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("bind");
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    return ntohs(a.sin_port);
}

void tsr_test_bin(const char *name, char *out, size_t len)
{
    const char *dir = getenv("TSR_BIN_DIR");
    snprintf(out, len, "%s/%s", dir ? dir : "build/bin", name);
}

void tsr_test_src(const char *rel, char *out, size_t len)
{
    const char *dir = getenv("TSR_SOURCE_DIR");
    snprintf(out, len, "%s/%s", dir ? dir : ".", rel);
}

int tsr_test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int tsr_test_sh_capture(char *out, size_t len, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

pid_t tsr_test_spawn(const char *log_path, char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int tsr_test_wait(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -1;
        sleep_ms(10);
    }
    return -1;
}

void tsr_test_kill(pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    kill(pid, sig);
    if (tsr_test_wait(pid, 5000) == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

bool tsr_test_wait_tcp(int port, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return true;
        sleep_ms(20);
    }
    return false;
}

static bool nats_launch(tsr_test_nats *n)
{
    char port[16], log[300], store[300];
    snprintf(port, sizeof port, "%d", n->port);
    snprintf(log, sizeof log, "%s/nats.log", n->dir);
    snprintf(store, sizeof store, "%s/js", n->dir);
    /* Debian installs it in /usr/sbin; TSR_NATS_SERVER overrides. */
    const char *bin = getenv("TSR_NATS_SERVER");
    if (!bin)
        bin = access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server" : "/usr/bin/nats-server";
    char *const argv[] = {(char *)bin, "-a", "127.0.0.1",
                          "-p", port, "-js", "-sd", store, NULL};
    n->pid = tsr_test_spawn(log, argv);
    snprintf(n->url, sizeof n->url, "nats://127.0.0.1:%d", n->port);
    return n->pid > 0 && tsr_test_wait_tcp(n->port, 10000);
}

bool tsr_test_nats_start(tsr_test_nats *n)
{
    tsr_test_tmpdir("nats", n->dir, sizeof n->dir);
    n->port = tsr_test_free_port(false);
    return nats_launch(n);
}

bool tsr_test_nats_restart(tsr_test_nats *n)
{
    tsr_test_kill(n->pid, SIGTERM);
    return nats_launch(n);
}

void tsr_test_nats_stop(tsr_test_nats *n, bool remove_dir)
{
    tsr_test_kill(n->pid, SIGTERM);
    n->pid = 0;
    if (remove_dir)
        tsr_test_rmtree(n->dir);
}

int tsr_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
