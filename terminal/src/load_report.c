/* The load report: text for people, JSON for scripts and the README's
 * benchmark table. */
#include <stdio.h>

#include "tessera/loadgen.h"

static const double QUANTILES[] = {0.5, 0.9, 0.99, 0.999};
static const char *const QNAMES[] = {"p50", "p90", "p99", "p99.9"};
#define NQ (sizeof QUANTILES / sizeof QUANTILES[0])

static double ms(int64_t ns) { return (double)ns / 1e6; }

static uint64_t answered_of(const tsr_load_report *r, int op)
{
    uint64_t n = 0;
    for (int s = 0; s < TSR_STATUS_COUNT_; s++)
        n += r->by_status[op][s];
    return n;
}

static void print_latency(const tsr_load_report *r, int op, FILE *out)
{
    const tsr_hist *h = r->latency[op];
    fprintf(out, "  %-8s %9llu answered %9llu ok  latency ms:", tsr_load_op_name((tsr_load_op)op),
            (unsigned long long)answered_of(r, op), (unsigned long long)r->ok[op]);
    for (size_t q = 0; q < NQ; q++)
        fprintf(out, " %s %.2f", QNAMES[q], h ? ms(tsr_hist_quantile(h, QUANTILES[q])) : 0.0);
    fprintf(out, " max %.2f\n", h ? ms(tsr_hist_max(h)) : 0.0);
}

static void print_errors(const tsr_load_report *r, FILE *out)
{
    bool any = false;
    for (int op = 0; op < TSR_OP_COUNT_; op++) {
        for (int s = 1; s < TSR_STATUS_COUNT_; s++) {
            if (!r->by_status[op][s])
                continue;
            fprintf(out, "  %-8s %-28s %llu\n", tsr_load_op_name((tsr_load_op)op),
                    tsr_status_name((tsr_status)s), (unsigned long long)r->by_status[op][s]);
            any = true;
        }
        if (r->no_answer[op]) {
            fprintf(out, "  %-8s %-28s %llu\n", tsr_load_op_name((tsr_load_op)op), "NO_ANSWER",
                    (unsigned long long)r->no_answer[op]);
            any = true;
        }
    }
    if (!any)
        fprintf(out, "  none\n");
}

void tsr_load_report_print(const tsr_load_report *r, FILE *out)
{
    double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
    fprintf(out, "sent %llu requests in %.2f s, %llu answered, %llu unanswered, %llu retried\n",
            (unsigned long long)r->sent, r->send_s, (unsigned long long)r->answered,
            (unsigned long long)r->unanswered, (unsigned long long)r->retried);
    fprintf(out, "throughput: %.0f answered/s, %.0f bets accepted/s (over %.2f s)\n",
            (double)r->answered / el, (double)r->ok[TSR_OP_BET] / el, el);
    fprintf(out, "generator: max send lag %.2f ms, %llu window stalls, %llu receipts written\n",
            ms(r->max_send_lag_ns), (unsigned long long)r->window_stalls,
            (unsigned long long)r->receipts);
    fprintf(out, "latency (from the intended send time in open loop):\n");
    for (int op = 0; op < TSR_OP_COUNT_; op++)
        if (answered_of(r, op) || r->no_answer[op])
            print_latency(r, op, out);
    fprintf(out, "errors by status:\n");
    print_errors(r, out);
}

static json_t *op_json(const tsr_load_report *r, int op)
{
    const tsr_hist *h = r->latency[op];
    json_t *lat = json_object();
    for (size_t q = 0; q < NQ; q++)
        json_object_set_new(lat, QNAMES[q], json_real(h ? ms(tsr_hist_quantile(h, QUANTILES[q])) : 0));
    json_object_set_new(lat, "max", json_real(h ? ms(tsr_hist_max(h)) : 0));
    json_object_set_new(lat, "mean", json_real(h ? tsr_hist_mean(h) / 1e6 : 0));
    json_t *errs = json_object();
    for (int s = 1; s < TSR_STATUS_COUNT_; s++)
        if (r->by_status[op][s])
            json_object_set_new(errs, tsr_status_name((tsr_status)s), json_integer((json_int_t)r->by_status[op][s]));
    if (r->no_answer[op])
        json_object_set_new(errs, "NO_ANSWER", json_integer((json_int_t)r->no_answer[op]));
    return json_pack("{s:I,s:I,s:o,s:o}", "answered", (json_int_t)answered_of(r, op), "ok",
                     (json_int_t)r->ok[op], "latency_ms", lat, "errors", errs);
}

json_t *tsr_load_report_json(const tsr_load_report *r)
{
    double el = r->elapsed_s > 0 ? r->elapsed_s : 1;
    json_t *ops = json_object();
    for (int op = 0; op < TSR_OP_COUNT_; op++)
        if (answered_of(r, op) || r->no_answer[op])
            json_object_set_new(ops, tsr_load_op_name((tsr_load_op)op), op_json(r, op));
    return json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:o}", "elapsed_s", r->elapsed_s,
                     "send_s", r->send_s, "sent", (json_int_t)r->sent, "answered",
                     (json_int_t)r->answered, "unanswered", (json_int_t)r->unanswered, "retried",
                     (json_int_t)r->retried, "answered_per_s", (double)r->answered / el,
                     "bets_per_s", (double)r->ok[TSR_OP_BET] / el, "max_send_lag_ms",
                     ms(r->max_send_lag_ns), "window_stalls", (json_int_t)r->window_stalls,
                     "receipts", (json_int_t)r->receipts, "ops", ops);
}
