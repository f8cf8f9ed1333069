/*
 * Draw schedule. A draw is named by its local calendar date: draw number =
 * days from the catalogue's draw epoch to the draw date in the game's time
 * zone. Every node and central compute the same number from the same
 * catalogue with no coordination, and a number maps back to one date.
 */
#include "game_int.h"
#include "tessera/catalog.h"

#define WEEK_SEARCH 8 /* a non-empty weekly schedule has a draw within 8 days */
/* Unix ns stop at 2262; schedules are answered up to 2200-01-01 so a draw
 * a week later still fits. */
#define AFTER_NS_MAX (INT64_C(7258118400) * INT64_C(1000000000))

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static bool is_draw_day(const tsr_game *g, int64_t day)
{
    return day > g->schedule.epoch_days && (g->schedule.days_mask & (1u << tsr_weekday(day)));
}

/* Unix ns of local time `minute` on local day `day`. */
static int64_t local_ns(const tsr_game *g, int64_t day, int32_t minute)
{
    return tsr_tz_local_to_utc(g->zone, day * TSR_SECS_PER_DAY + minute * 60) * INT64_C(1000000000);
}

static void day_times(const tsr_game *g, int64_t day, int64_t *open, int64_t *cutoff, int64_t *results)
{
    if (open) {
        int64_t prev = day - 1;
        while (prev > day - WEEK_SEARCH && !(g->schedule.days_mask & (1u << tsr_weekday(prev))))
            prev--;
        *open = local_ns(g, prev, g->schedule.results_min);
    }
    if (cutoff)
        *cutoff = local_ns(g, day, g->schedule.cutoff_min);
    if (results)
        *results = local_ns(g, day, g->schedule.results_min);
}

/* The local day of the first draw whose cutoff is after after_ns. */
static int64_t next_day(const tsr_game *g, int64_t after_ns, int64_t from_day)
{
    int64_t after_s = floor_div(after_ns, INT64_C(1000000000));
    int64_t today = floor_div(after_s + tsr_tz_offset(g->zone, after_s), TSR_SECS_PER_DAY);
    int64_t d = today - 1 > from_day ? today - 1 : from_day;
    if (d <= g->schedule.epoch_days)
        d = g->schedule.epoch_days + 1;
    for (;; d++)
        if (is_draw_day(g, d) && local_ns(g, d, g->schedule.cutoff_min) > after_ns)
            return d;
}

tsr_status tsr_catalog_next_draw(const tsr_catalog *cat, const char *game, int64_t after_ns, int64_t *draw_no,
                                 int64_t *sales_open_ns, int64_t *cutoff_ns, int64_t *results_ns)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return TSR_ERR_GAME_UNKNOWN;
    if (after_ns > AFTER_NS_MAX)
        return TSR_ERR_RANGE;
    int64_t d = next_day(g, after_ns, INT64_MIN);
    if (draw_no)
        *draw_no = d - g->schedule.epoch_days;
    day_times(g, d, sales_open_ns, cutoff_ns, results_ns);
    return TSR_OK;
}

tsr_status tsr_catalog_draw_times(const tsr_catalog *cat, const char *game, int64_t draw_no,
                                  int64_t *sales_open_ns, int64_t *cutoff_ns, int64_t *results_ns)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return TSR_ERR_GAME_UNKNOWN;
    /* Bounded so the day arithmetic cannot overflow: ~27,000 years. */
    if (draw_no < 1 || draw_no > INT64_C(10000000) || !is_draw_day(g, g->schedule.epoch_days + draw_no))
        return TSR_ERR_GAME_NOT_DRAW_DAY;
    day_times(g, g->schedule.epoch_days + draw_no, sales_open_ns, cutoff_ns, results_ns);
    return TSR_OK;
}

tsr_status tsr_catalog_advance_draws(const tsr_catalog *cat, const char *game, int64_t after_ns, uint16_t n,
                                     int64_t *draws)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return TSR_ERR_GAME_UNKNOWN;
    if (n == 0 || n > g->max_draws)
        return TSR_ERR_GAME_DRAWS;
    if (after_ns > AFTER_NS_MAX)
        return TSR_ERR_RANGE;
    int64_t d = next_day(g, after_ns, INT64_MIN);
    for (uint16_t i = 0; i < n; i++) {
        draws[i] = d - g->schedule.epoch_days;
        do
            d++;
        while (!is_draw_day(g, d));
    }
    return TSR_OK;
}
