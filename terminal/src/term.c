/* The agent terminal: state file, output, calls, dispatch, script, prompt. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "term_int.h"

#ifdef TSR_HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

/* A state file is a session token and a few pending sales. */
#define STATE_FILE_MAX (64 * 1024)

FILE *term_out(const tsr_term *t) { return t->o.out ? t->o.out : stdout; }

/* ---- state file ----------------------------------------------------------------- */

static tsr_status state_load(tsr_term *t, char *err, size_t errlen)
{
    t->pending = json_array();
    if (!t->pending)
        return TSR_ERR_NOMEM;
    FILE *f = fopen(t->state_path, "r");
    if (!f)
        return errno == ENOENT ? TSR_OK : TSR_ERR_IO;
    json_error_t je;
    json_t *s = json_loadf(f, 0, &je);
    fclose(f);
    if (!json_is_object(s)) {
        json_decref(s);
        snprintf(err, errlen, "state file %s is not a JSON object (%s)", t->state_path, je.text);
        return TSR_ERR_JSON;
    }
    const char *session = json_string_value(json_object_get(s, "session"));
    const char *agent = json_string_value(json_object_get(s, "agent"));
    snprintf(t->session, sizeof t->session, "%s", session ? session : "");
    snprintf(t->agent, sizeof t->agent, "%s", agent ? agent : "");
    json_t *p = json_object_get(s, "pending");
    if (json_is_array(p))
        json_array_extend(t->pending, p);
    json_decref(s);
    return TSR_OK;
}

tsr_status term_state_save(tsr_term *t)
{
    json_t *s = json_pack("{s:s,s:s,s:s,s:O}", "terminal", t->terminal_id, "session", t->session,
                          "agent", t->agent, "pending", t->pending);
    char *text = s ? json_dumps(s, JSON_INDENT(1)) : NULL;
    json_decref(s);
    if (!text)
        return TSR_ERR_NOMEM;
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", t->state_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    free(text);
    if (!ok || rename(tmp, t->state_path) != 0) {
        unlink(tmp);
        return TSR_ERR_IO;
    }
    return TSR_OK;
}

/* ---- output ----------------------------------------------------------------------- */

static void emit_json(tsr_term *t, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    fprintf(term_out(t), "%s\n", s ? s : "{}");
    free(s);
    json_decref(obj);
    fflush(term_out(t));
}

void term_ok(tsr_term *t, json_t *result, void (*text)(tsr_term *, const json_t *))
{
    if (t->o.json) {
        emit_json(t, json_pack("{s:s,s:b,s:o}", "command", t->command, "ok", 1,
                               "result", result ? result : json_null()));
        return;
    }
    if (text)
        text(t, result);
    json_decref(result);
    fflush(term_out(t));
}

static tsr_status fail_v(tsr_term *t, tsr_status st, const json_t *detail, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (t->o.json) {
        json_t *o = json_pack("{s:s,s:b,s:s,s:s}", "command", t->command, "ok", 0, "error",
                              tsr_status_name(st), "message", msg);
        if (o && json_is_object(detail))
            json_object_set(o, "detail", (json_t *)detail);
        emit_json(t, o);
    } else {
        fprintf(term_out(t), "error: %s\n", msg);
    }
    fflush(term_out(t));
    return st;
}

tsr_status term_fail(tsr_term *t, tsr_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(t, st, NULL, fmt, ap);
    va_end(ap);
    return st;
}

tsr_status term_fail_detail(tsr_term *t, tsr_status st, const json_t *detail, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(t, st, detail, fmt, ap);
    va_end(ap);
    return st;
}

tsr_status term_node_error(tsr_term *t, const tsr_reply *rep)
{
    const json_t *detail = json_object_get(rep->body, "detail");
    /* the node's reason, else the field it refused (e.g. "day") */
    const char *reason = json_string_value(json_object_get(detail, "reason"));
    if (!reason)
        reason = json_string_value(json_object_get(detail, "field"));
    return term_fail_detail(t, rep->status, detail, "%s%s%s (%s, %d.%02d)", rep->message,
                            reason ? ": " : "", reason ? reason : "", tsr_status_name(rep->status),
                            rep->code / 100, rep->code % 100);
}

bool term_confirm(tsr_term *t, const char *question)
{
    if (!t->o.interactive)
        return false;
    fprintf(term_out(t), "%s [y/N] ", question);
    fflush(term_out(t));
    char line[32];
    FILE *in = t->o.in ? t->o.in : stdin;
    return fgets(line, sizeof line, in) && (line[0] == 'y' || line[0] == 'Y');
}

/* ---- calls ----------------------------------------------------------------------- */

void term_path(const tsr_term *t, const char *base, const char *extra, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", base);
    char sep = strchr(base, '?') ? '&' : '?';
    if (!t->secure && t->terminal_id[0] && n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%cterminal=%s", sep, t->terminal_id);
        sep = '&';
    }
    if (t->session[0] && n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%csession=%s", sep, t->session);
        sep = '&';
    }
    if (extra && *extra && n < cap)
        snprintf(out + n, cap - n, "%c%s", sep, extra);
}

tsr_status term_call(tsr_term *t, tsr_method m, const char *path, const json_t *body,
                     tsr_reply *rep)
{
    tsr_status st = tsr_client_call(t->client, m, path, body, t->o.timeout_ms, rep);
    if (st == TSR_OK)
        return TSR_OK;
    const char *uri = tsr_client_uri(t->client);
    if (tsr_client_dtls_failed(t->client))
        return term_fail(t, TSR_ERR_UNAVAILABLE,
                         "no secure session with the node %s: the DTLS handshake did not complete. "
                         "Either the node is down or it refused terminal '%s' (wrong PSK?)",
                         uri, t->terminal_id);
    if (st == TSR_ERR_TIMEOUT || st == TSR_ERR_UNAVAILABLE)
        return term_fail(t, st, "the node %s is unreachable (no answer in %lld s)", uri,
                         (long long)(t->o.timeout_ms / 1000));
    return term_fail(t, st, "request failed: %s", tsr_status_str(st));
}

/* ---- commands --------------------------------------------------------------------- */

static tsr_status cmd_help(tsr_term *t, int argc, char **argv);

static tsr_status cmd_quit(tsr_term *t, int argc, char **argv)
{
    (void)argc, (void)argv;
    t->quit = true;
    return TSR_OK;
}

typedef struct term_cmd {
    const char *name;
    tsr_status (*fn)(tsr_term *, int, char **);
    const char *usage;
} term_cmd;

static const term_cmd COMMANDS[] = {
    {"login", term_cmd_login, "login AGENT PIN          agent login on this terminal"},
    {"logout", term_cmd_logout, "logout                   end the agent's session"},
    {"games", term_cmd_games, "games                    games on sale, bet types, prices"},
    {"draws", term_cmd_draws, "draws [GAME]             open draws: state, countdown, sales, jackpot"},
    {"sell", term_cmd_sell,
     "sell GAME TYPE [N..|qp] [second=N] [spots=N] [stake=X] [draws=N] [yes]\n"
     "                           sell a ticket (qp = quick pick, draws = advance play;\n"
     "                           'yes' confirms a sale above the confirmation amount)"},
    {"resolve", term_cmd_resolve, "resolve                  settle sales whose outcome is unknown (same key)"},
    {"receipt", term_cmd_receipt, "receipt QR|SERIAL CHECK|TICKET\n"
     "                           print a receipt of this terminal again (text, QR, PNG)"},
    {"print", term_cmd_receipt, "print ...                same as receipt"},
    {"history", term_cmd_history, "history [limit=N]        this terminal's recent tickets"},
    {"cancel", term_cmd_cancel, "cancel TICKET [REASON]   void a ticket within the void window"},
    {"check", term_cmd_check, "check QR|SERIAL CHECK    is this slip a winner? (scan or type; pays nothing)"},
    {"pay", term_cmd_pay, "pay QR|SERIAL CHECK      pay a winning slip in cash, once (sold at any\n"
     "                           terminal of this node)"},
    {"balance", term_cmd_balance, "balance                  this terminal's float and its last movements"},
    {"settlement", term_cmd_settlement, "settlement [YYYY-MM-DD]  end of day: sales, cancels, payouts, cash due"},
    {"health", term_cmd_health, "health                   the node's health"},
    {"help", cmd_help, "help                     this list"},
    {"quit", cmd_quit, "quit                     leave"},
    {"exit", cmd_quit, "exit                     leave"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static tsr_status cmd_help(tsr_term *t, int argc, char **argv)
{
    (void)argc, (void)argv;
    json_t *list = json_array();
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (!t->o.json)
            fprintf(term_out(t), "  %s\n", COMMANDS[i].usage);
        json_array_append_new(list, json_string(COMMANDS[i].name));
    }
    if (t->o.json)
        term_ok(t, list, NULL);
    else
        json_decref(list);
    return TSR_OK;
}

tsr_status tsr_term_exec(tsr_term *t, int argc, char **argv)
{
    if (!t || argc < 1 || !argv || !argv[0])
        return TSR_ERR_ARG;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[0], COMMANDS[i].name) == 0) {
            t->command = COMMANDS[i].name;
            return COMMANDS[i].fn(t, argc, argv);
        }
    }
    t->command = "?";
    return term_fail(t, TSR_ERR_USAGE, "unknown command '%s' (try: help)", argv[0]);
}

tsr_status tsr_term_exec_line(tsr_term *t, const char *line)
{
    char buf[TSR_TERM_LINE_MAX];
    char *argv[TSR_TERM_ARGS_MAX + 1];
    int argc = 0;
    if (strlen(line) >= sizeof buf)
        return term_fail(t, TSR_ERR_USAGE, "%s", "the line is too long");
    snprintf(buf, sizeof buf, "%s", line);
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (argc == TSR_TERM_ARGS_MAX)
            return term_fail(t, TSR_ERR_USAGE, "more than %d words on one line", TSR_TERM_ARGS_MAX);
        argv[argc++] = w;
    }
    argv[argc] = NULL;
    return argc ? tsr_term_exec(t, argc, argv) : TSR_OK;
}

tsr_status tsr_term_run_script(tsr_term *t, FILE *f, bool keep_going)
{
    char line[TSR_TERM_LINE_MAX];
    tsr_status first = TSR_OK;
    while (!t->quit && fgets(line, sizeof line, f)) {
        tsr_status st = tsr_term_exec_line(t, line);
        if (st != TSR_OK && first == TSR_OK)
            first = st;
        if (st != TSR_OK && !keep_going)
            break;
    }
    return first;
}

static char *read_line(const char *prompt)
{
#ifdef TSR_HAVE_READLINE
    char *l = readline(prompt);
    if (l && *l)
        add_history(l);
    return l;
#else
    fputs(prompt, stdout);
    fflush(stdout);
    char *l = malloc(TSR_TERM_LINE_MAX);
    if (l && !fgets(l, TSR_TERM_LINE_MAX, stdin)) {
        free(l);
        return NULL;
    }
    return l;
#endif
}

tsr_status tsr_term_interactive(tsr_term *t)
{
    fprintf(term_out(t), "tessera terminal %s on %s - type help\n", t->terminal_id,
            tsr_client_uri(t->client));
    char prompt[96];
    while (!t->quit) {
        snprintf(prompt, sizeof prompt, "%s%s> ", t->terminal_id, t->agent[0] ? "" : " (logged out)");
        char *l = read_line(prompt);
        if (!l)
            break;
        tsr_status st = tsr_term_exec_line(t, l);
        (void)st; /* errors were printed; the prompt goes on */
        free(l);
    }
    return TSR_OK;
}

bool tsr_term_quit_requested(const tsr_term *t) { return t && t->quit; }

/* ---- open / close ------------------------------------------------------------------ */

static tsr_status check_opts(const tsr_term_opts *o, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (!o || !o->node_uri)
        bad = "no node given (--node coaps://127.0.0.1:5684)";
    else if (!o->state_path || !*o->state_path || strlen(o->state_path) > 250)
        bad = "no usable state file path (--state FILE)";
    else if (o->receipt_dir && strlen(o->receipt_dir) > 200)
        bad = "the receipt directory path is too long";
    else if (o->timeout_ms < 0 || o->timeout_ms > 3600000)
        bad = "the timeout must be 0..3600 s";
    else if (!o->psk && (!o->terminal_id || !tsr_name_valid(o->terminal_id)))
        bad = "a terminal id is needed: --psk FILE (coaps) or --terminal ID (coap)";
    if (bad)
        snprintf(err, errlen, "%s", bad);
    return bad ? TSR_ERR_ARG : TSR_OK;
}

tsr_status tsr_term_open(tsr_term **out, const tsr_term_opts *o, char *err, size_t errlen)
{
    char dummy[8];
    if (!err)
        err = dummy, errlen = sizeof dummy;
    err[0] = '\0';
    if (!out)
        return TSR_ERR_ARG;
    *out = NULL;
    tsr_status st = check_opts(o, err, errlen);
    if (st != TSR_OK)
        return st;
    tsr_term *t = calloc(1, sizeof *t);
    if (!t)
        return TSR_ERR_NOMEM;
    t->o = *o;
    t->o.timeout_ms = o->timeout_ms ? o->timeout_ms : TSR_TERM_TIMEOUT_MS_DEFAULT;
    t->o.confirm_above = o->confirm_above >= 0 ? o->confirm_above : TSR_TERM_CONFIRM_ABOVE_DEFAULT;
    t->command = "open";
    snprintf(t->terminal_id, sizeof t->terminal_id, "%s", o->psk ? o->psk->identity : o->terminal_id);
    snprintf(t->state_path, sizeof t->state_path, "%s", o->state_path);
    snprintf(t->receipt_dir, sizeof t->receipt_dir, "%s", o->receipt_dir ? o->receipt_dir : "");
    t->secure = strncmp(o->node_uri, "coaps://", 8) == 0;
    tsr_client_opts co = {.uri = o->node_uri, .psk = o->psk, .confirmable = true,
                          .attempt_timeout_ms = 1000, .max_pending = 4};
    st = tsr_rng_real_create(&t->rng);
    if (st == TSR_OK)
        st = state_load(t, err, errlen);
    if (st == TSR_OK)
        st = tsr_client_create(&t->client, &co, err, errlen);
    if (st != TSR_OK) {
        tsr_term_close(t);
        return st;
    }
    *out = t;
    return TSR_OK;
}

void tsr_term_close(tsr_term *t)
{
    if (!t)
        return;
    tsr_client_destroy(t->client);
    tsr_rng_destroy(t->rng);
    json_decref(t->pending);
    json_decref(t->games);
    tsr_wipe(t->session, sizeof t->session);
    free(t);
}
