/* cluster_queue: the queues the consumer thread and NATS's threads share with the service
 * thread -- consumed records (bounded: the consumer waits for room) and failed publishes.
 * See cluster.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_internal.h"

#define QUEUE_MAX 2048 /* consumed records waiting to be applied ... */
#define QUEUE_MAX_BYTES                                                                            \
    (32 << 20) /* ... and their bytes (a record holds up to a 5,000-event batch) */

void cl_record_free(cl_record *r)
{
    if (!r) return;
    free(r->data);
    free(r);
}

/* ---- the queues (lock) -------------------------------------------------------------------- */

void cl_queue_push(cluster_t *c, cl_record *r)
{
    pthread_mutex_lock(&c->lock);
    while ((c->q_len >= QUEUE_MAX || c->q_bytes >= QUEUE_MAX_BYTES) && !atomic_load(&c->stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&c->room, &c->lock, &ts);
    }
    if (c->q_tail)
        c->q_tail->next = r;
    else
        c->q_head = r;
    c->q_tail = r;
    c->q_len++;
    c->q_bytes += r->len;
    pthread_mutex_unlock(&c->lock);
}

int cl_take_records(cluster_t *c, cl_record **out, int max, int max_items)
{
    int n = 0, items = 0;
    pthread_mutex_lock(&c->lock);
    while (c->q_head && n < max && (n == 0 || items + c->q_head->nevents_hint <= max_items)) {
        cl_record *r = c->q_head;
        c->q_head = r->next;
        if (!c->q_head) c->q_tail = NULL;
        c->q_len--;
        c->q_bytes -= r->len;
        r->next = NULL;
        items += r->nevents_hint;
        out[n++] = r;
    }
    pthread_cond_signal(&c->room);
    pthread_mutex_unlock(&c->lock);
    return n;
}

void cl_requeue_front(cluster_t *c, cl_record **recs, int n)
{
    pthread_mutex_lock(&c->lock);
    for (int i = n - 1; i >= 0; i--) {
        recs[i]->next = c->q_head;
        c->q_head = recs[i];
        if (!c->q_tail) c->q_tail = recs[i];
        c->q_len++;
        c->q_bytes += recs[i]->len;
    }
    pthread_mutex_unlock(&c->lock);
}

int cl_take_failures(cluster_t *c, uint64_t *out, int max, char *why, size_t whylen)
{
    pthread_mutex_lock(&c->lock);
    int n = c->nfailed < max ? c->nfailed : max;
    memcpy(out, c->failed, (size_t)n * sizeof *out);
    memmove(c->failed, c->failed + n, (size_t)(c->nfailed - n) * sizeof *out);
    c->nfailed -= n;
    snprintf(why, whylen, "%s", c->failed_why);
    pthread_mutex_unlock(&c->lock);
    return n;
}

int cl_queued(cluster_t *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->q_len;
    pthread_mutex_unlock(&c->lock);
    return n;
}

uint64_t cl_lag(cluster_t *c)
{
    return atomic_load(&c->lag) + (uint64_t)cl_queued(c);
}
