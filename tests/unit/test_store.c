/* test_store: the durable store (server/store.c) on a real sqlite file with its writer thread:
 * group commit, exact dedupe with gaps across a reopen, conflicts, completion order, and
 * invariant 2 (a failed transaction stores nothing and forgets nothing of it). Expected values
 * worked out by hand from the inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cwtime.h"
#include "store.h"

static atomic_int wakes;

static void on_wake(void *ud)
{
    (void)ud;
    atomic_fetch_add(&wakes, 1);
}

static char dbpath[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dbpath, sizeof dbpath, "/tmp/cw-test-store-%d.db", (int)getpid());
    unlink(dbpath);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[300];
    unlink(dbpath);
    snprintf(p, sizeof p, "%s-wal", dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbpath);
    unlink(p);
    return 0;
}

static store_t *open_started(void)
{
    char err[300] = "";
    static const char *const schemas[] = {
        "CREATE TABLE IF NOT EXISTS side(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;", NULL};
    store_t *s = store_open(dbpath, schemas, 64, err, sizeof err);
    if (!s) fail_msg("store_open: %s", err);
    assert_int_equal(store_start(s, on_wake, NULL), 0);
    return s;
}

/* An events job for (LH-03, feed) with these seqs; data.x differs when `variant` is set. */
static store_job *events(const char *feed, const int64_t *seqs, int n, int variant)
{
    store_job *j = calloc(1, sizeof *j);
    j->kind = STORE_JOB_EVENTS;
    j->items = calloc((size_t)n, sizeof *j->items);
    j->nitems = n;
    for (int i = 0; i < n; i++) {
        store_item *it = &j->items[i];
        char body[200];
        snprintf(body, sizeof body,
                 "{\"hall\":\"LH-03\",\"feed\":\"%s\",\"seq\":%lld,\"type\":\"hall.heartbeat\","
                 "\"at\":\"2026-11-23T09:00:00+08:00\",\"data\":{\"x\":%d}}",
                 feed, (long long)seqs[i], variant);
        it->kind = STORE_ITEM_EVENT;
        it->hall = strdup("LH-03");
        it->feed = strdup(feed);
        it->seq = seqs[i];
        it->type = strdup("hall.heartbeat");
        it->at_ms = it->recv_ms = 1795400000000LL + seqs[i];
        it->body = strdup(body);
        it->obj = json_loads(body, 0, NULL);
    }
    return j;
}

/* Submits the jobs back to back (one group, when the writer is idle) and waits -- on a
 * condition, with a deadline -- until all came back; returns them in completion order. */
static store_job *run(store_t *s, store_job **jobs, int n)
{
    for (int i = 0; i < n; i++)
        store_submit(s, jobs[i]);
    store_job *head = NULL, **tail = &head;
    int got = 0;
    int64_t deadline = cwt_mono_ms() + 10000;
    while (got < n && cwt_mono_ms() < deadline) {
        for (store_job *j = store_take_done(s), *next; j; j = next) {
            next = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
            got++;
        }
        if (got < n) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(got, n);
    return head;
}

static void free_all(store_job *j)
{
    for (store_job *n; j; j = n) {
        n = j->next;
        store_job_free(j);
    }
}

static void test_dedupe_gaps_and_order(void **unused)
{
    (void)unused;
    store_t *s = open_started();
    const int64_t a[] = {1, 2, 5}, b[] = {2, 3, 4, 5};
    store_job *jobs[] = {events("q", a, 3, 0), events("q", b, 4, 0)};
    store_job *done = run(s, jobs, 2);
    /* completion in submission order (invariant 3) */
    assert_ptr_equal(done, jobs[0]);
    assert_ptr_equal(done->next, jobs[1]);
    assert_int_equal(jobs[0]->rc, 0);
    assert_int_equal(jobs[0]->items[0].result, STORE_ACCEPTED);
    assert_int_equal(jobs[0]->items[2].result, STORE_ACCEPTED);
    /* 2 and 5 again: duplicates; 3 and 4 fill the gap 3..4 */
    int want[] = {STORE_DUPLICATE, STORE_ACCEPTED, STORE_ACCEPTED, STORE_DUPLICATE};
    for (int i = 0; i < 4; i++)
        assert_int_equal(jobs[1]->items[i].result, want[i]);
    /* positions grow in append order */
    assert_true(jobs[0]->items[2].event_id > jobs[0]->items[1].event_id);
    assert_true(jobs[1]->items[1].event_id > jobs[0]->items[2].event_id);
    free_all(done);
    store_close(s);

    /* reopened: the index comes back from its tables; seq 7 leaves a gap at 6 */
    s = open_started();
    const int64_t c[] = {4, 7, 6};
    store_job *j2[] = {events("q", c, 3, 0)};
    done = run(s, j2, 1);
    assert_int_equal(done->items[0].result, STORE_DUPLICATE);
    assert_int_equal(done->items[1].result, STORE_ACCEPTED);
    assert_int_equal(done->items[2].result, STORE_ACCEPTED);
    free_all(done);
    /* same key, other content: a duplicate whose body is quarantined as a conflict */
    const int64_t d[] = {6};
    store_job *j3[] = {events("q", d, 1, 1)};
    done = run(s, j3, 1);
    assert_int_equal(done->items[0].result, STORE_CONFLICT);
    free_all(done);
    assert_int_equal(store_last_event_id(s), 7); /* seven events stored: 1..7 */
    store_close(s);
}

static void test_failed_transaction_stores_and_forgets_nothing(void **unused)
{
    (void)unused;
    store_t *s = open_started();
    const int64_t a[] = {1, 2, 3};
    /* the third event cannot be stored (no type: NOT NULL), after the first two were
     * written and the feed created in the same transaction */
    store_job *bad = events("f", a, 3, 0);
    free(bad->items[2].type);
    bad->items[2].type = NULL;
    store_job *jobs[] = {bad};
    store_job *done = run(s, jobs, 1);
    assert_true(done->rc < 0); /* invariant 2: the job failed as a whole */
    assert_non_null(strstr(done->err, "store unavailable (events: constraint failed)"));
    free_all(done);
    assert_int_equal(store_last_event_id(s), 0);
    /* and the index forgot them: the same events are new, not duplicates */
    store_job *again[] = {events("f", a, 3, 0)};
    done = run(s, again, 1);
    assert_int_equal(done->rc, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(done->items[i].result, STORE_ACCEPTED);
    free_all(done);
    /* a module's table, created from the schemas given to store_open, takes writes */
    store_job *side = store_job_new_sql("INSERT INTO side(k, v) VALUES(?, ?)");
    store_job_arg_text(side, "a");
    store_job_arg_int(side, 42);
    store_job *sj[] = {side};
    done = run(s, sj, 1);
    assert_int_equal(done->rc, 0);
    free_all(done);
    assert_true(atomic_load(&wakes) > 0);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dedupe_gaps_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_transaction_stores_and_forgets_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
