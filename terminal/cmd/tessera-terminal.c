/*
 * tessera-terminal: the retail agent terminal. Options, then either a
 * command (one per invocation), --script FILE, or the interactive prompt.
 * The commands live in terminal/src/term*.c; see docs/terminal.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "tessera/keys.h"
#include "tessera/money.h"
#include "tessera/terminal.h"

static const char USAGE[] =
    "usage: tessera-terminal --node URI (--psk FILE | --terminal ID) [options] [COMMAND ARGS...]\n"
    "  --node URI           coaps://127.0.0.1:5684 (coap:// only where the node allows it)\n"
    "  --psk FILE           this terminal's DTLS PSK file (tessera keygen); its identity is the terminal id\n"
    "  --terminal ID        terminal id on plain coap:// (tests, demo)\n"
    "  --state FILE         session and pending sales (default ./tessera-terminal-<id>.state)\n"
    "  --receipts DIR       write each printed receipt as DIR/<serial>.json and .png\n"
    "  --script FILE        run the commands of FILE, one per line ('-' = stdin)\n"
    "  --keep-going         with --script, do not stop at the first failing command\n"
    "  --json               one JSON object per command on stdout\n"
    "  --timeout S          wait at most S seconds for the node, retries included (default 10)\n"
    "  --confirm-above AMT  sales above AMT need confirmation (default 100.00)\n"
    "without a command or script: the interactive prompt (type help)\n";

typedef struct cli {
    tsr_term_opts o;
    tsr_psk psk;
    char state[256];
    const char *script;
    bool keep_going;
} cli;

static bool parse_opt(cli *c, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case 'n': c->o.node_uri = arg; return true;
    case 'p':
        if (tsr_psk_read(arg, &c->psk) != TSR_OK) {
            fprintf(stderr, "tessera-terminal: cannot read the PSK file %s (missing, malformed, or readable by others)\n", arg);
            return false;
        }
        c->o.psk = &c->psk;
        return true;
    case 't': c->o.terminal_id = arg; return true;
    case 's': snprintf(c->state, sizeof c->state, "%s", arg); return true;
    case 'r': c->o.receipt_dir = arg; return true;
    case 'x': c->script = arg; return true;
    case 'k': c->keep_going = true; return true;
    case 'j': c->o.json = true; return true;
    case 'T': {
        long v = strtol(arg, &end, 10);
        c->o.timeout_ms = v * 1000;
        return *end == '\0' && v >= 1 && v <= 3600;
    }
    case 'c': return tsr_money_parse(arg, &c->o.confirm_above) == TSR_OK && c->o.confirm_above >= 0;
    default: return false;
    }
}

static int parse(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, 0, 'n'},    {"psk", required_argument, 0, 'p'},
        {"terminal", required_argument, 0, 't'}, {"state", required_argument, 0, 's'},
        {"receipts", required_argument, 0, 'r'}, {"script", required_argument, 0, 'x'},
        {"keep-going", no_argument, 0, 'k'},    {"json", no_argument, 0, 'j'},
        {"timeout", required_argument, 0, 'T'}, {"confirm-above", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int opt;
    /* "+": options end at the command, so "sell ... stake=2" stays the command's */
    while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(USAGE, stdout);
            exit(0);
        }
        if (opt == '?' || !parse_opt(c, opt, optarg)) {
            fputs(USAGE, stderr);
            return EX_USAGE;
        }
    }
    if (!c->state[0]) {
        const char *id = c->o.psk ? c->psk.identity : c->o.terminal_id ? c->o.terminal_id : "terminal";
        snprintf(c->state, sizeof c->state, "tessera-terminal-%s.state", id);
    }
    c->o.state_path = c->state;
    return 0;
}

static int run_script(tsr_term *t, const char *path, bool keep_going)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "tessera-terminal: cannot open script %s\n", path);
        return EX_NOINPUT;
    }
    tsr_status st = tsr_term_run_script(t, f, keep_going);
    if (f != stdin)
        fclose(f);
    return tsr_status_exit_code(st);
}

int main(int argc, char **argv)
{
    static cli c;
    c.o.confirm_above = -1;
    int rc = parse(&c, argc, argv);
    if (rc)
        return rc;
    bool command = optind < argc;
    c.o.interactive = !command && !c.script && isatty(STDIN_FILENO);
    char err[256];
    tsr_term *t = NULL;
    tsr_status st = tsr_term_open(&t, &c.o, err, sizeof err);
    if (st != TSR_OK) {
        fprintf(stderr, "tessera-terminal: %s\n", err[0] ? err : tsr_status_str(st));
        return tsr_status_exit_code(st);
    }
    if (command)
        rc = tsr_status_exit_code(tsr_term_exec(t, argc - optind, argv + optind));
    else if (c.script)
        rc = run_script(t, c.script, c.keep_going);
    else if (c.o.interactive)
        rc = tsr_status_exit_code(tsr_term_interactive(t));
    else
        rc = run_script(t, "-", c.keep_going);
    tsr_term_close(t);
    return rc;
}
