#include "tessera/admin.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define X(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef X

typedef struct command {
    const char *name;
    tsr_admin_fn fn;
    const char *summary;
} command;

static const command commands[] = {
#define X(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef X
    {NULL, NULL, NULL}};

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera <command> [options]\n\ncommands:\n");
    for (const command *c = commands; c->name; c++)
        fprintf(to, "  %-14s %s\n", c->name, c->summary);
    fprintf(to, "\n'tessera <command> --help' describes a command.\n");
}

int tsr_admin_fail(const char *cmd, tsr_status st, const char *detail)
{
    if (detail && *detail)
        fprintf(stderr, "tessera %s: %s: %s\n", cmd, tsr_status_str(st), detail);
    else
        fprintf(stderr, "tessera %s: %s\n", cmd, tsr_status_str(st));
    return tsr_status_exit_code(st);
}

int tsr_admin_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (const command *c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0)
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "tessera: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EX_USAGE;
}
