/* GET /v1/health: is the node up, may it sell, and if not, why. */
#include <string.h>

#include "daemon.h"
#include "server_int.h"
#include "sync_node.h"

static bool add_clock(json_t *h, json_t *reasons, const tsr_node_config *cfg,
                      const tsr_clock_reading *now, bool test_clock)
{
    tsr_status s = tsr_clock_check(now, cfg->clock_error_budget_ms * TSR_NS_PER_MS);
    json_object_set_new(h, "clock",
                        json_pack("{s:s, s:b, s:I, s:I, s:I}", "mode",
                                  test_clock ? "test" : cfg->clock_mode, "synced", now->synced,
                                  "error_bound_ms",
                                  (json_int_t)(now->error_bound_ns / TSR_NS_PER_MS), "budget_ms",
                                  (json_int_t)cfg->clock_error_budget_ms, "now_ns",
                                  (json_int_t)now->now_ns));
    if (s == TSR_ERR_CLOCK_UNSYNCED)
        json_array_append_new(reasons, json_string("the clock is not synchronized (the kernel "
                                                   "reports STA_UNSYNC): no sales near a cutoff"));
    else if (s == TSR_ERR_CLOCK_BOUND)
        json_array_append_new(reasons, json_string("the clock error bound is above the budget: "
                                                   "no sales near a cutoff"));
    return s == TSR_OK;
}

/* Counts held tokens whose draw is open now; explains when none is. */
static size_t open_draws(tsr_core *c, const tsr_clock_reading *now, bool clock_ok,
                         json_t *reasons)
{
    size_t open = 0, held;
    pthread_mutex_lock(&c->mu);
    held = c->n_tokens;
    for (size_t i = 0; i < c->n_tokens; i++)
        open += tsr_cutoff_check(c->cfg, &c->tokens[i], now) == TSR_OK;
    pthread_mutex_unlock(&c->mu);
    if (!c->catalog)
        json_array_append_new(reasons, json_string("no game catalogue is loaded"));
    if (held == 0)
        json_array_append_new(reasons, json_string("no cutoff token is held"));
    else if (open == 0 && clock_ok)
        json_array_append_new(reasons, json_string("no held draw is inside its sales window"));
    return open;
}

static void handle_health(tsr_server *srv, tsr_request *req)
{
    tsr_core *c = tsr_core_of(srv);
    const tsr_env *env = tsr_server_env(srv);
    tsr_clock_reading now = tsr_clock_read(env->clock);
    json_t *reasons = json_array();
    json_t *h = json_pack("{s:s, s:s, s:s, s:i}", "status", "ok", "node", srv->cfg->node_id,
                          "region", srv->cfg->region, "schema",
                          tsr_store_schema_version(srv->store));
    bool clock_ok = add_clock(h, reasons, srv->cfg, &now, tsr_clock_is_test(env->clock));
    size_t open = open_draws(c, &now, clock_ok, reasons);
    tsr_sync_health(srv, h, reasons); /* nodesync: relay stats; beacon skew closes sales */
    if (tsr_store_sync_failed(tsr_server_store(srv)))
        json_array_append_new(reasons, json_string(tsr_status_str(TSR_ERR_DISK_SYNC)));
    json_object_set_new(h, "sales_open", json_boolean(open > 0 && json_array_size(reasons) == 0));
    json_object_set_new(h, "open_draws", json_integer((json_int_t)open));
    json_object_set_new(h, "tokens", json_integer((json_int_t)c->n_tokens));
    json_object_set_new(h, "catalog_version",
                        c->catalog ? json_integer(tsr_catalog_version(c->catalog)) : json_null());
    json_object_set_new(h, "queue", json_integer((json_int_t)tsr_writer_pending(srv->writer)));
    json_object_set_new(h, "requests", json_integer((json_int_t)srv->requests));
    uint64_t groups, jobs;
    tsr_writer_stats(srv->writer, &groups, &jobs);
    json_object_set_new(h, "writer", json_pack("{s:I, s:I}", "groups", (json_int_t)groups,
                                               "jobs", (json_int_t)jobs));
    json_object_set_new(h, "reasons", reasons);
    tsr_reply_json(req, 205, h);
}

tsr_status tsr_health_routes(tsr_server *srv)
{
    static const tsr_route r = {TSR_GET, "/v1/health", TSR_AUTH_ANY, handle_health, 0, false};
    return tsr_server_route(srv, &r);
}
