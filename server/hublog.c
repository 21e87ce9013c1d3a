/* hublog: the embedded log is the sqlite store. See hublog.h. */
#include "hublog.h"

#include <assert.h>

void hublog_append(hub_t *hub, store_job *batch, store_done_fn done, void *ud)
{
    assert(batch && batch->kind == STORE_JOB_EVENTS && done);
    batch->done = done;
    batch->done_ud = ud;
    store_submit(hub->store, batch);
}
