/* hublog: the embedded log is the sqlite store; cluster mode hands batches to cluster.c.
 * See hublog.h. */
#include "hublog.h"

#include <assert.h>
#include <stdlib.h>

#include "cluster.h"
#include "xalloc.h"

/* The appender's completion, kept while the store has the batch (embedded mode). */
typedef struct appended {
    hub_t *hub;
    store_done_fn done;
    void *ud;
} appended;

void hublog_init(hub_t *hub, const hublog_ops *ops)
{
    hub->log_ops = ops;
}

/* The store committed (or failed) the batch: apply it, then tell its appender. */
static void committed(store_job *batch)
{
    appended a = *(appended *)batch->done_ud;
    free(batch->done_ud);
    if (batch->rc == 0) a.hub->log_ops->apply(a.hub, batch);
    batch->done = a.done;
    batch->done_ud = a.ud;
    a.done(batch);
}

void hublog_append(hub_t *hub, store_job *batch, store_done_fn done, void *ud)
{
    assert(batch && batch->kind == STORE_JOB_EVENTS && done && hub->log_ops);
    if (hub->cluster) {
        cluster_append(hub->cluster, batch, done, ud);
        return;
    }
    appended *a = cw_xcalloc(1, sizeof *a);
    a->hub = hub;
    a->done = done;
    a->ud = ud;
    batch->done = committed;
    batch->done_ud = a;
    store_submit(hub->store, batch);
}
