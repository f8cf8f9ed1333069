/* The sales window of a draw (DESIGN.md "Time"): fail closed whenever the
 * node cannot prove it is before the cutoff. */
#include "config.h"
#include "daemon.h"

tsr_status tsr_cutoff_check(const tsr_node_config *cfg, const core_token *t,
                            const tsr_clock_reading *now)
{
    tsr_status s = tsr_clock_check(now, cfg->clock_error_budget_ms * TSR_NS_PER_MS);
    if (s != TSR_OK)
        return s;
    if (now->now_ns < t->tok.sales_open_at_ns)
        return TSR_ERR_SALES_NOT_OPEN;
    /* now + bound + margin < cutoff_at, computed without overflow: the
     * bound is at most the budget (checked above) and the margin at most
     * ten minutes, both far from int64 limits. */
    int64_t latest = now->now_ns + now->error_bound_ns + cfg->cutoff_margin_ms * TSR_NS_PER_MS;
    if (latest >= t->tok.cutoff_at_ns)
        return TSR_ERR_SALES_CLOSED;
    if (t->sealed)
        return TSR_ERR_DRAW_SEALED;
    return TSR_OK;
}
