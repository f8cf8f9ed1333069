/*
 * `tessera games`: list the catalogue's games and print exact odds.
 *
 *   tessera games list [--catalog FILE]
 *   tessera games odds GAME [--catalog FILE]
 *
 * The catalogue defaults to $TSR_CATALOG, else deploy/catalog/tessera.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/admin.h"
#include "tessera/catalog.h"
#include "tessera/clock.h"
#include "tessera/odds.h"

#define DEFAULT_CATALOG "deploy/catalog/tessera.json"

int tsr_cmd_games(int argc, char **argv);

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera games list [--catalog FILE]\n"
                "       tessera games odds GAME [--catalog FILE]\n"
                "The catalogue defaults to $TSR_CATALOG, else " DEFAULT_CATALOG ".\n");
}

static void days_str(uint8_t mask, char *buf, size_t len)
{
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    buf[0] = '\0';
    if (mask == 0x7f) {
        snprintf(buf, len, "daily");
        return;
    }
    for (int i = 0; i < 7; i++)
        if (mask & (1u << i)) {
            if (buf[0])
                strncat(buf, ",", len - strlen(buf) - 1);
            strncat(buf, names[i], len - strlen(buf) - 1);
        }
}

static int list_games(const tsr_catalog *cat)
{
    printf("catalogue version %lld\n", (long long)tsr_catalog_version(cat));
    printf("%-10s %-9s %-22s %-12s %-20s %s\n", "id", "family", "name", "stake", "draws", "cutoff/results (tz)");
    for (size_t i = 0; i < tsr_catalog_count(cat); i++) {
        const tsr_game *g = tsr_catalog_game_at(cat, i);
        char lo[TSR_MONEY_STR_MAX], hi[TSR_MONEY_STR_MAX], stake[2 * TSR_MONEY_STR_MAX + 2], days[40];
        tsr_money_format(g->stake_min_cents, lo, sizeof lo);
        tsr_money_format(g->stake_max_cents, hi, sizeof hi);
        if (g->stake_min_cents == g->stake_max_cents)
            snprintf(stake, sizeof stake, "%s", lo);
        else
            snprintf(stake, sizeof stake, "%s-%s", lo, hi);
        days_str(g->schedule.days_mask, days, sizeof days);
        printf("%-10s %-9s %-22s %-12s %-20s %02d:%02d/%02d:%02d (%s)\n", g->id, tsr_family_name(g->family), g->name,
               stake, days, g->schedule.cutoff_min / 60, g->schedule.cutoff_min % 60, g->schedule.results_min / 60,
               g->schedule.results_min % 60, g->schedule.tz);
    }
    return 0;
}

/* What a tier pays, as the catalogue says it: "500.00 per 1.00 staked",
 * "2.5000% of sales", "jackpot: 30.0000% of sales". */
static void prize_str(const tsr_game *g, int tier, char *buf, size_t len)
{
    if (tier < 0) {
        buf[0] = '\0';
        return;
    }
    const tsr_tier *t = &g->tiers[tier];
    char a[TSR_MONEY_STR_MAX], b[TSR_MONEY_STR_MAX];
    if (t->kind == TSR_PRIZE_FIXED && (g->family == TSR_FAMILY_LOTTO || g->family == TSR_FAMILY_TWO_POOL))
        snprintf(buf, len, "%s", tsr_money_format(t->prize_cents, a, sizeof a));
    else if (t->kind == TSR_PRIZE_FIXED)
        snprintf(buf, len, "%s per %s staked", tsr_money_format(t->prize_cents, a, sizeof a),
                 tsr_money_format(g->prize_base_cents, b, sizeof b));
    else
        snprintf(buf, len, "%s%u.%04u%% of sales", t->kind == TSR_PRIZE_JACKPOT ? "jackpot: " : "",
                 t->share_ppm / 10000, t->share_ppm % 10000);
}

static int print_odds(const tsr_catalog *cat, const char *id)
{
    const tsr_game *g = tsr_catalog_find(cat, id);
    if (!g)
        return tsr_admin_fail("games", TSR_ERR_GAME_UNKNOWN, id);
    tsr_odds_row rows[TSR_ODDS_ROWS_MAX];
    size_t n;
    tsr_status st = tsr_odds_compute(g, rows, TSR_ODDS_ROWS_MAX, &n);
    if (st != TSR_OK)
        return tsr_admin_fail("games", st, id);
    printf("%s (%s)%s%s\n", g->name, tsr_family_name(g->family), g->copies[0] ? ", copies " : "", g->copies);
    const char *section = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!section || strcmp(section, rows[i].section) != 0) {
            section = rows[i].section;
            if (*section)
                printf("%s:\n", section);
        }
        char odds[TSR_ODDS_STR_MAX], prize[64];
        tsr_odds_format(rows[i].ways, rows[i].total, odds, sizeof odds);
        prize_str(g, rows[i].tier, prize, sizeof prize);
        if (prize[0])
            printf("  %-28s %-22s %s\n", rows[i].label, odds, prize);
        else
            printf("  %-28s %s\n", rows[i].label, odds);
    }
    return 0;
}

int tsr_cmd_games(int argc, char **argv)
{
    const char *path = getenv("TSR_CATALOG");
    const char *verb = NULL, *game = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (!verb) {
            verb = argv[i];
        } else if (!game) {
            game = argv[i];
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    bool list = verb && strcmp(verb, "list") == 0 && !game;
    bool odds = verb && strcmp(verb, "odds") == 0 && game;
    if (!list && !odds) {
        usage(stderr);
        return EX_USAGE;
    }
    tsr_catalog *cat;
    char err[512];
    tsr_status st = tsr_catalog_load_file(&cat, path ? path : DEFAULT_CATALOG, err, sizeof err);
    if (st != TSR_OK)
        return tsr_admin_fail("games", st, err);
    int rc = list ? list_games(cat) : print_odds(cat, game);
    tsr_catalog_free(cat);
    return rc;
}
