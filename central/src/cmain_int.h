/* Private to central/: the admin subcommands of tessera-central. */
#ifndef TSR_CMAIN_INT_H
#define TSR_CMAIN_INT_H

#include "tessera/central.h"

/* Options one subcommand accepts (the longest, exclude, takes six). */
#define CLI_OPTS_MAX 8

/* "--key value" options of one command line (values borrowed from argv). */
typedef struct cli_args {
    const char *key[CLI_OPTS_MAX], *val[CLI_OPTS_MAX];
    int n;
    bool json; /* --json */
} cli_args;

/* The value of --key, or NULL. */
const char *cli_opt(const cli_args *a, const char *key);
/* The clock the config asks for (owned by the caller). */
tsr_status cli_make_clock(const tsr_central_config *cfg, tsr_clock **out) TSR_MUST_CHECK;

/* Each prints its result (text, or JSON with --json) and returns a
 * sysexits(3) code. */
int cli_status(const tsr_central_config *cfg, const cli_args *a);
int cli_alarms(const tsr_central_config *cfg, const cli_args *a);
int cli_exclude(const tsr_central_config *cfg, const cli_args *a);
int cli_draw_add(const tsr_central_config *cfg, const cli_args *a);
int cli_draw_ready(const tsr_central_config *cfg, const cli_args *a);

#endif
