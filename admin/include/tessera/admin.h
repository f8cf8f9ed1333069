/*
 * The `tessera` operator CLI: one program, many subcommands. Each
 * subcommand lives in admin/src/cmd_<name>.c and is listed in
 * admin/src/commands.def, so adding one never touches the dispatcher.
 */
#ifndef TESSERA_ADMIN_H
#define TESSERA_ADMIN_H

/* A subcommand: runs with argv[0] = its own name; returns a sysexits code. */
typedef int (*tsr_admin_fn)(int argc, char **argv);

/* Runs the CLI (main calls this); returns the process exit code. */
int tsr_admin_main(int argc, char **argv);

/* Prints a status as "tessera <cmd>: <sentence>[: detail]" to stderr and
 * returns its sysexits code. */
#include "tessera/status.h"
int tsr_admin_fail(const char *cmd, tsr_status st, const char *detail);

#endif
