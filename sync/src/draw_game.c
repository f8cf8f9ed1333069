/* The draw shape of a catalogue game (rules in draw.h). */
#include <string.h>

#include "tessera/catalog.h"
#include "tessera/draw.h"

static tsr_draw_pool pool(uint32_t min, uint32_t max, uint32_t count, uint32_t bonus,
                          bool replacement)
{
    tsr_draw_pool p = {min, max, count, bonus, replacement};
    return p;
}

tsr_status tsr_draw_shape_for_game(const tsr_game *g, tsr_draw_shape *out)
{
    memset(out, 0, sizeof *out);
    tsr_draw_pool *p = out->pools;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
        p[out->pool_count++] = pool(1, g->pool, g->pick, g->bonus ? 1 : 0, false);
        break;
    case TSR_FAMILY_TWO_POOL:
        p[out->pool_count++] = pool(1, g->pool, g->pick, 0, false);
        p[out->pool_count++] = pool(1, g->second_pool, g->second_pick, 0, false);
        break;
    case TSR_FAMILY_DIGITS:
        p[out->pool_count++] = pool(0, 9, g->pick, 0, true);
        break;
    case TSR_FAMILY_KENO:
    case TSR_FAMILY_FIXED:
        p[out->pool_count++] = pool(1, g->pool, g->drawn, 0, false);
        break;
    default:
        return TSR_ERR_DRAW_SHAPE;
    }
    /* The multiplier is drawn last, so adding the add-on to a game never
     * changes its main numbers for the same entropy. */
    if ((g->addons & TSR_ADDON_MULTIPLIER) && g->n_multipliers > 0)
        p[out->pool_count++] = pool(0, g->n_multipliers - 1u, 1, 0, false);
    return tsr_draw_shape_check(out);
}
