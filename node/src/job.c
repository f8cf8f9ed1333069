/* Job allocation and release (see job.h). */
#include "job.h"

#include <stdlib.h>

tsr_status tsr_job_new(tsr_job **out, const char *kind, tsr_job_apply_fn apply)
{
    tsr_job *j = calloc(1, sizeof *j);
    if (!j)
        return TSR_ERR_NOMEM;
    j->kind = kind;
    j->apply = apply;
    j->ok_code = 205;
    j->status = TSR_OK;
    *out = j;
    return TSR_OK;
}

void tsr_job_free(tsr_job *job)
{
    if (!job)
        return;
    json_decref(job->request);
    json_decref(job->response);
    free(job->response_text);
    json_decref(job->error_detail);
    free(job->idempotency_key);
    if (job->ctx_free)
        job->ctx_free(job->ctx);
    free(job);
}

tsr_status tsr_job_fail_field(tsr_job *job, tsr_status st, const char *field)
{
    json_decref(job->error_detail);
    job->error_detail = json_pack("{s:s}", "field", field);
    return st;
}
