/* test_live: the /live documents (server/live_doc.c, live.c) below the sockets -- one doc per
 * view, deltas as merge patches with their revs, the history ring, the resume point, the
 * positional (cluster) mode, and live_check's invariants -- over a config of two halls
 * (tests/unit/fixtures/config/alerts.yaml: H0 with biz A and B, H1 with biz A).
 *
 * Every rev below is counted by hand: in embedded mode each build or delta of any doc takes
 * the next rev of the fan-out (1, 2, ...); in positional mode a delta's rev is the log position
 * it was published at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "event.h"
#include "hub.h"
#include "live.h"
#include "live_internal.h"
#include "state.h"

#define T0 1795399200000LL /* 2026-11-23T10:00:00+08:00, a Monday */

static cfg_t *cfg;
static hub_t hub;

static int setup(void **st)
{
    (void)st;
    char path[1024], *errors = NULL;
    const char *src = getenv("CW_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/unit/fixtures/config/alerts.yaml", src ? src : ".");
    cfg = cfg_load(path, &errors);
    if (!cfg) fail_msg("%s", errors);
    memset(&hub, 0, sizeof hub);
    hub.cfg = cfg;
    hub.state = state_create(cfg, T0);
    snprintf(hub.epoch, sizeof hub.epoch, "E1");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    state_destroy(hub.state);
    cfg_free(cfg);
    return 0;
}

/* ticket.issued at hall `hall` (H0/H1), seq n, biz A, T0 + n seconds. */
static void issue(const char *hall, int n)
{
    char text[512], err[256];
    char at[40];
    cwt_format_local(T0 + n * 1000LL, at);
    snprintf(text, sizeof text,
             "{\"hall\":\"%s\",\"seq\":%d,\"type\":\"ticket.issued\",\"at\":\"%s\","
             "\"data\":{\"ticket\":\"A%03d\",\"biz\":\"A\",\"channel\":\"wechat\",\"priority\":"
             "\"green\"}}",
             hall, n, at, n);
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!o) fail_msg("bad test JSON: %s", je.text);
    ev_event ev;
    if (ev_parse(cfg, o, &ev, err, sizeof err) != 0) fail_msg("rejected %s: %s", text, err);
    state_apply(hub.state, &ev, ev.at_ms);
    json_decref(o);
}

static void assert_checked(live_t *L)
{
    char why[300] = "";
    if (live_check(L, why, sizeof why) != 0) fail_msg("%s", why);
}

/* A frame's payload as a string (frames carry no terminating NUL). */
static const char *text_of(const frame *f)
{
    static char buf[1 << 16];
    assert_true(f->buf && f->len < sizeof buf);
    memcpy(buf, f->buf + LWS_PRE, f->len);
    buf[f->len] = 0;
    return buf;
}

static json_int_t kpi_issued(json_t *doc)
{
    return json_integer_value(json_object_get(json_object_get(doc, "kpi"), "issued"));
}

static void test_views_deltas_and_resume(void **st)
{
    (void)st;
    live_t *L = live_create(&hub);
    auth_who all = {.names = false, .account = -1, .token = -1};
    live_doc *city = live_doc_get(L, LIVEMSG_CITY, -1, &all);
    assert_non_null(city);
    assert_ptr_equal(live_doc_get(L, LIVEMSG_CITY, -1, &all), city); /* one doc per view */
    bool only_h1[2] = {false, true};
    auth_who hallmgr = {.names = false, .halls = only_h1, .account = -1, .token = -1};
    live_doc *city_h1 = live_doc_get(L, LIVEMSG_CITY, -1, &hallmgr);
    assert_ptr_not_equal(city_h1, city); /* another view of the same topic */
    assert_string_equal(city->topic, "city");
    assert_string_equal(city_h1->topic, "city");

    assert_false(live_doc_refresh(L, city, 0)); /* first build: rev 1, no delta */
    live_doc_refresh(L, city_h1, 0);            /* rev 2 */
    assert_int_equal(city->rev, 1);
    assert_int_equal(city_h1->rev, 2);
    assert_int_equal(city->ring_n, 0);
    assert_int_equal(kpi_issued(city->doc), 0);
    assert_false(live_doc_refresh(L, city, 0)); /* nothing moved: nothing published */
    assert_int_equal(city->rev, 1);

    issue("H0", 1);
    assert_true(live_doc_refresh(L, city, 0));     /* a delta at rev 3 after rev 1 */
    assert_false(live_doc_refresh(L, city_h1, 0)); /* its sums did not move (below) */
    assert_int_equal(city->rev, 3);
    assert_int_equal(city->ring_n, 1);
    entry *e = live_ring_at(city, 0);
    assert_int_equal(e->rev, 3);
    assert_int_equal(e->prev_rev, 1);
    assert_int_equal(kpi_issued(city->doc), 1);
    /* the patch says issued became 1, and the frame is the whole delta message */
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(e->patch, "kpi"), "issued")), 1);
    assert_non_null(strstr(text_of(&e->fr), "\"op\":\"delta\""));
    assert_non_null(strstr(text_of(&e->fr), "\"rev\":3"));
    assert_non_null(strstr(text_of(&e->fr), "\"epoch\":\"E1\""));
    /* H1's manager's view: the city moved (its version is the city's) but its sums did not,
     * so no delta is published for it */
    assert_int_equal(city_h1->rev, 2);
    assert_int_equal(kpi_issued(city_h1->doc), 0);

    issue("H0", 2);
    live_doc_refresh(L, city, 0); /* rev 4 after 3 */
    assert_int_equal(city->rev, 4);
    assert_int_equal(kpi_issued(city->doc), 2);
    assert_int_equal(city->ring_n, 2);
    assert_int_equal(city->ring_bytes,
                     live_ring_at(city, 0)->fr.len + live_ring_at(city, 1)->fr.len);

    /* resume: a client that holds rev 1 resumes from 1; one at 3 from 3; one at 4 holds the
     * doc; rev 0 (never had it) and rev 9 (never issued here, top is 4) need a snapshot */
    assert_int_equal(live_doc_resume_base(city, 1, L->rev), 1);
    assert_int_equal(live_doc_resume_base(city, 3, L->rev), 3);
    assert_int_equal(live_doc_resume_base(city, 4, L->rev), 4);
    assert_int_equal(live_doc_resume_base(city, 0, L->rev), 0);
    assert_int_equal(live_doc_resume_base(city, 9, L->rev), 0);
    /* 2 is a rev of another view: this doc was at 1 then, so the client holds rev 1's state */
    assert_int_equal(live_doc_resume_base(city, 2, L->rev), 1);

    /* the snapshot is serialised once per rev */
    frame *s1 = live_doc_snapshot_frame(L, city);
    assert_ptr_equal(live_doc_snapshot_frame(L, city), s1);
    assert_non_null(strstr(text_of(s1), "\"op\":\"snapshot\""));
    assert_non_null(strstr(text_of(s1), "\"rev\":4"));

    assert_checked(L);
    live_destroy(L);
}

static void test_check_finds_broken_invariants(void **st)
{
    (void)st;
    live_t *L = live_create(&hub);
    auth_who all = {.names = false, .account = -1, .token = -1};
    live_doc *d = live_doc_get(L, LIVEMSG_HALL, 0, &all);
    live_doc_refresh(L, d, 0);
    issue("H0", 3);
    live_doc_refresh(L, d, 0);
    assert_int_equal(d->ring_n, 1);
    assert_checked(L);
    char why[300];
    d->ring_bytes++;
    assert_int_equal(live_check(L, why, sizeof why), -1);
    assert_non_null(strstr(why, "ring bytes"));
    d->ring_bytes--;
    d->nsubs = 1; /* no client points at it */
    assert_int_equal(live_check(L, why, sizeof why), -1);
    assert_non_null(strstr(why, "nsubs"));
    d->nsubs = 0;
    live_ring_at(d, 0)->rev = d->rev + 1;
    assert_int_equal(live_check(L, why, sizeof why), -1);
    live_ring_at(d, 0)->rev = d->rev;
    int left = d->pace_left;
    d->pace_left = left + 1; /* one more counted than any subscription waits */
    assert_int_equal(live_check(L, why, sizeof why), -1);
    assert_non_null(strstr(why, "pace_left"));
    d->pace_left = left;
    assert_checked(L);
    live_destroy(L);
}

/* Cluster mode: every standard view exists from the start at the log position, and a delta's
 * rev is the position it is published at, so every hub publishes the same revs. */
static void test_positional(void **st)
{
    (void)st;
    live_t *L = live_create(&hub);
    live_set_positional(L, 100);
    live_stats s;
    live_get_stats(L, &s);
    /* names off and on: city, alerts, hall H0, hall H1 -- 8 docs, all at position 100 */
    assert_int_equal(s.docs, 8);
    assert_int_equal(s.rev, 100);
    auth_who all = {.names = false, .account = -1, .token = -1};
    live_doc *city = live_doc_get(L, LIVEMSG_CITY, -1, &all);
    live_doc *h0 = live_doc_get(L, LIVEMSG_HALL, 0, &all);
    live_doc *h1 = live_doc_get(L, LIVEMSG_HALL, 1, &all);
    assert_int_equal(city->rev, 100);
    json_int_t before = kpi_issued(city->doc);

    issue("H1", 4);
    live_changed(L); /* not at a position: nothing is published */
    assert_int_equal(city->rev, 100);
    live_publish_at(L, 105);
    assert_int_equal(city->rev, 105);
    assert_int_equal(live_ring_at(city, city->ring_n - 1)->prev_rev, 100);
    assert_int_equal(kpi_issued(city->doc), before + 1);
    assert_int_equal(h1->rev, 105);
    assert_int_equal(h0->rev, 100); /* H0 did not move */
    live_publish_at(L, 103);        /* behind the fan-out's position: ignored */
    live_get_stats(L, &s);
    assert_int_equal(s.rev, 105);
    assert_checked(L);
    live_destroy(L);
}

/* What the hub does with a doc whose state moved (live_pace.c's publish_due, without its
 * timing): rebuild it, and when a delta went out, wake and count its subscribers. */
static void refresh(live_t *L, live_doc *d)
{
    if (live_doc_refresh(L, d, 0)) live_pace_published(L, d);
}

/* Adaptive pacing (live_pace.c), with a fake clock: `now` is passed in, counted from the doc's
 * last publish. tick_ms is 50 (the default). Three clients on hall H0: a and b take every
 * delta, m is at max_hz 10 (not waited for). */
static void test_pacing_publishes_when_drained(void **st)
{
    (void)st;
    live_t *L = live_create(&hub);
    const int64_t tick = 50000;
    auth_who all = {.names = false, .account = -1, .token = -1};
    live_doc *d = live_doc_get(L, LIVEMSG_HALL, 0, &all);
    live_sub sa = {.doc = d}, sb = {.doc = d}, sm = {.doc = d, .max_hz = 10};
    live_client ca = {.subs = &sa, .nsubs = 1}, cb = {.subs = &sb, .nsubs = 1},
                cm = {.subs = &sm, .nsubs = 1};
    ca.next = &cb;
    cb.next = &cm;
    L->clients = &ca;
    d->nsubs = 3;
    refresh(L, d); /* first build: rev 1, nobody counted yet */
    assert_int_equal(d->rev, 1);
    sa.sent_rev = sb.sent_rev = sm.sent_rev = 1; /* all hold the snapshot */
    int64_t p = d->last_pub_us;
    /* no delta published yet, so none counted: the tick rule -- due one tick after the build */
    assert_int_equal(live_pace_due(d, p + 1000, tick), p + tick);
    assert_int_equal(live_pace_due(d, p + tick, tick), p + tick);

    issue("H0", 10);
    refresh(L, d); /* the delta at rev 2 after 1: a and b counted (2), m not */
    assert_int_equal(d->rev, 2);
    assert_int_equal(d->pace_total, 2);
    assert_int_equal(d->pace_left, 2);
    assert_true(sa.pace_wait && sb.pace_wait && !sm.pace_wait);
    p = d->last_pub_us;
    issue("H0", 11); /* moved again 1 ms later: a and b still wait for rev 2 */
    assert_int_equal(live_pace_due(d, p + 1000, tick), p + tick);
    sa.sent_rev = 2;
    live_pace_sent(L, &sa); /* 1 left of 2 (2 / 32 = 0 stragglers allowed) */
    assert_int_equal(d->pace_left, 1);
    assert_int_equal(live_pace_due(d, p + 1000, tick), p + tick);
    sm.sent_rev = 2;
    live_pace_sent(L, &sm); /* max_hz: not counted, changes nothing */
    assert_int_equal(d->pace_left, 1);
    sb.sent_rev = 2;
    live_pace_sent(L, &sb); /* drained: due at once, well before the tick */
    assert_int_equal(d->pace_left, 0);
    assert_int_equal(live_pace_due(d, p + 1000, tick), p + 1000);
    /* the fan-out budget: 2 subscriptions x 25 us, so not before p + 50 us */
    assert_int_equal(live_pace_due(d, p + 10, tick), p + 50);
    live_pace_sent(L, &sb); /* sent twice: counted once */
    assert_int_equal(d->pace_left, 0);

    refresh(L, d); /* rev 3 after 2: a, b in step (counted); m at 2 is too, but capped */
    assert_int_equal(d->rev, 3);
    assert_int_equal(d->pace_total, 2);
    p = d->last_pub_us;
    issue("H0", 12);
    /* b is dropped (unsubscribe or close) before it was sent rev 3: a alone is left */
    live_pace_dropped(L, &sb);
    ca.next = &cm;
    d->nsubs = 2;
    assert_int_equal(d->pace_left, 1);
    assert_int_equal(live_pace_due(d, p + 2000, tick), p + tick);
    /* a never takes rev 3 (stuck): the tick is the bound */
    assert_int_equal(live_pace_due(d, p + tick, tick), p + tick);
    refresh(L, d); /* rev 4 after 3: a holds 2 (behind), b is gone: nobody counted */
    assert_int_equal(d->rev, 4);
    assert_int_equal(d->pace_total, 0);
    assert_false(sa.pace_wait);
    p = d->last_pub_us;
    issue("H0", 13);
    assert_int_equal(live_pace_due(d, p + 1000, tick), p + tick); /* the tick rule again */

    L->clients = NULL;
    d->nsubs = 0;
    assert_checked(L);
    live_destroy(L);
}

/* Stragglers: with 33 counted subscriptions, 33 / 32 = 1 may still be waiting when the doc
 * counts as drained; with 2 waiting it does not. */
static void test_pacing_stragglers(void **st)
{
    (void)st;
    live_t *L = live_create(&hub);
    auth_who all = {.names = false, .account = -1, .token = -1};
    live_doc *d = live_doc_get(L, LIVEMSG_HALL, 1, &all);
    enum { N = 33 };
    live_sub s[N];
    live_client c[N];
    memset(s, 0, sizeof s);
    memset(c, 0, sizeof c);
    for (int i = 0; i < N; i++) {
        s[i].doc = d;
        c[i].subs = &s[i];
        c[i].nsubs = 1;
        c[i].next = i + 1 < N ? &c[i + 1] : NULL;
    }
    L->clients = &c[0];
    d->nsubs = N;
    refresh(L, d);
    for (int i = 0; i < N; i++)
        s[i].sent_rev = d->rev;
    issue("H1", 20);
    refresh(L, d);
    assert_int_equal(d->pace_total, N);
    int64_t p = d->last_pub_us;
    issue("H1", 21);
    for (int i = 0; i < N - 2; i++) { /* 31 sent, 2 waiting */
        s[i].sent_rev = d->rev;
        live_pace_sent(L, &s[i]);
    }
    assert_int_equal(d->pace_left, 2);
    assert_int_equal(live_pace_due(d, p + 1000, 50000), p + 50000);
    s[N - 2].sent_rev = d->rev;
    live_pace_sent(L, &s[N - 2]); /* 32 sent, 1 waiting: drained */
    assert_int_equal(live_pace_due(d, p + 1000, 50000), p + 1000);
    live_pace_dropped(L, &s[N - 1]); /* the straggler closes: none left */
    assert_int_equal(d->pace_left, 0);
    L->clients = NULL;
    d->nsubs = 0;
    assert_checked(L);
    live_destroy(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_deltas_and_resume),
        cmocka_unit_test(test_check_finds_broken_invariants),
        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_pacing_publishes_when_drained),
        cmocka_unit_test(test_pacing_stragglers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
