/* test_alerts: rules, lifecycle, suppression and notifications of the alerts module
 * (server/alerts*.c, alert_rules.c) against a hand-built config and state, on explicit
 * business times. No store: the module's writes go to a sink that keeps them, so the tests
 * read the history rows and the outbox payloads it wrote. Every expected value was worked out
 * by hand from the rule table of SPEC §6 (the arithmetic is in the comments).
 *
 * City: Asia/Shanghai, Mon-Fri 09:00-17:00, lunch 12:00-13:30; 2026-12-01 (Tue) is a holiday.
 * Hall 0 LH-00: biz A (SLA 1800 s), B (SLA 1200 s); windows A01 [A] (camera W1), A02 [A],
 *   B01 [B]; cameras W1 (window), Q1, Q2 (waiting), E1, E2 (entrance), S1 (self-service);
 *   staff W1001 张三, W1002 李四.
 * Hall 1 LH-01: biz A; window A01 [A]; camera C1 (entrance).
 * The day is Monday 2026-11-23. group_wait 10 s, startup grace 0, receiver http://rx.test/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alerts.h"
#include "config.h"
#include "cwtime.h"
#include "event.h"
#include "hub.h"
#include "state.h"

/* ---------------------------------------------------------------- config by hand */

static cfg_biz biz0[] = {
    {.id = "A", .name = "社保", .category = "social-security", .sla_s = 1800},
    {.id = "B", .name = "税务", .category = "tax", .sla_s = 1200},
};
static int w_a01_biz[] = {0}, w_a02_biz[] = {0}, w_b01_biz[] = {1};
static int w_a01_cam[] = {0};
static cfg_window win0[] = {
    {.id = "A01", .biz = w_a01_biz, .nbiz = 1, .cameras = w_a01_cam, .ncameras = 1},
    {.id = "A02", .biz = w_a02_biz, .nbiz = 1},
    {.id = "B01", .biz = w_b01_biz, .nbiz = 1},
};
static cfg_camera cam0[] = {
    {.id = "W1", .name = "窗口", .area = CFG_AREA_WINDOW},
    {.id = "Q1", .name = "等候一", .area = CFG_AREA_WAITING},
    {.id = "Q2", .name = "等候二", .area = CFG_AREA_WAITING},
    {.id = "E1", .name = "大门一", .area = CFG_AREA_ENTRANCE},
    {.id = "E2", .name = "大门二", .area = CFG_AREA_ENTRANCE},
    {.id = "S1", .name = "自助区", .area = CFG_AREA_SELF_SERVICE},
};
static cfg_staff staff0[] = {{.id = "W1001", .name = "张三"}, {.id = "W1002", .name = "李四"}};
static cfg_biz biz1[] = {{.id = "A", .name = "社保", .category = "social-security", .sla_s = 1800}};
static int w1_biz[] = {0};
static cfg_window win1[] = {{.id = "A01", .biz = w1_biz, .nbiz = 1}};
static cfg_camera cam1[] = {{.id = "C1", .name = "大厅", .area = CFG_AREA_ENTRANCE}};
static cfg_lexterm lex[] = {
    {.term = "跳楼", .category = "人身安全", .weight = 10},
    {.term = "态度恶劣", .category = "作风", .weight = 4},
};
static char *extra_rx[] = {"http://rx.test/hook"};

static cfg_hall halls[2];
static int holidays[] = {20261201};
static cfg_t cfg;
static cfg_alert_scope scopes[2];

static void build_cfg(void)
{
    cfg_hours hours;
    memset(&hours, 0, sizeof hours);
    for (int d = 0; d < 5; d++) {
        hours.open[d] = (cfg_span){540, 1020};
        hours.lunch[d] = (cfg_span){720, 810};
    }
    memset(halls, 0, sizeof halls);
    halls[0] = (cfg_hall){.id = "LH-00",
                          .name = "市中心",
                          .level = CFG_LEVEL_CITY,
                          .parent_index = -1,
                          .hours = hours,
                          .biz = biz0,
                          .nbiz = 2,
                          .windows = win0,
                          .nwindows = 3,
                          .cameras = cam0,
                          .ncameras = 6,
                          .staff = staff0,
                          .nstaff = 2};
    halls[1] = (cfg_hall){.id = "LH-01",
                          .name = "大洋街道",
                          .level = CFG_LEVEL_TOWN,
                          .parent_index = 0,
                          .hours = hours,
                          .biz = biz1,
                          .nbiz = 1,
                          .windows = win1,
                          .nwindows = 1,
                          .cameras = cam1,
                          .ncameras = 1};
    memset(&cfg, 0, sizeof cfg);
    cfg.city.code = "331082";
    cfg.city.name = "临海市";
    cfg.city.timezone = "Asia/Shanghai";
    cfg.city.hours = hours;
    cfg.city.calendar.holidays = holidays;
    cfg.city.calendar.nholidays = 1;
    cfg.halls = halls;
    cfg.nhalls = 2;
    cfg.tick_ms = 50;
    cfg.retention_days = 400;
    cfg.case_contact_days = 1;
    cfg.case_rectify_days = 5;
    cfg.lexicon = lex;
    cfg.nlexicon = 2;
    cfg.alerts.group_wait_s = 10;
    cfg.alerts.startup_grace_s = 0;
    /* R15 and R8 are on only where a test turns them on (every other test would see them) */
    cfg.alerts.rules[CFG_R15].set = 1u << CFG_P_ENABLED;
    cfg.alerts.rules[CFG_R15].v[CFG_P_ENABLED] = 0;
    cfg.alerts.rules[CFG_R8].set = 1u << CFG_P_ENABLED;
    cfg.alerts.rules[CFG_R8].v[CFG_P_ENABLED] = 0;
    cfg.alerts.scopes = NULL;
    cfg.alerts.nscopes = 0;
}

static void enable(int rule, bool on)
{
    cfg.alerts.rules[rule].set |= 1u << CFG_P_ENABLED;
    cfg.alerts.rules[rule].v[CFG_P_ENABLED] = on;
}

/* ---------------------------------------------------------------- the sink */

typedef struct job_rec {
    char *sql;
    char *args[STORE_SQL_MAX_ARGS];
    int64_t iargs[STORE_SQL_MAX_ARGS];
} job_rec;

static job_rec *jobs;
static int njobs;

static void sink(void *ud, store_job *j)
{
    (void)ud;
    jobs = realloc(jobs, (size_t)(njobs + 1) * sizeof *jobs);
    job_rec *r = &jobs[njobs++];
    memset(r, 0, sizeof *r);
    r->sql = strdup(j->sql);
    for (int i = 0; i < j->nargs; i++) {
        r->iargs[i] = j->args[i].i;
        if (j->args[i].is_text && j->args[i].text) r->args[i] = strdup(j->args[i].text);
    }
    store_job_free(j);
}

static void sink_clear(void)
{
    for (int i = 0; i < njobs; i++) {
        free(jobs[i].sql);
        for (int k = 0; k < STORE_SQL_MAX_ARGS; k++)
            free(jobs[i].args[k]);
    }
    free(jobs);
    jobs = NULL;
    njobs = 0;
}

/* "kind,kind,..." of the history rows written for alert `id`. */
static char *history(const char *id)
{
    static char buf[1024];
    buf[0] = 0;
    for (int i = 0; i < njobs; i++) {
        const char *kind = NULL;
        if (strstr(jobs[i].sql, "INSERT INTO alert_history") && jobs[i].args[0] &&
            !strcmp(jobs[i].args[0], id))
            kind = strstr(jobs[i].sql, "'cancelled'") ? "cancelled" : jobs[i].args[3];
        if (kind)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? "," : "", kind);
    }
    return buf;
}

/* The outbox payloads written so far, in order (new references in an array). */
static json_t *outbox(void)
{
    json_t *arr = json_array();
    for (int i = 0; i < njobs; i++)
        if (strstr(jobs[i].sql, "INSERT INTO outbox")) {
            assert_string_equal(jobs[i].args[0], "http://rx.test/hook");
            json_t *p = json_loads(jobs[i].args[2], 0, NULL);
            assert_non_null(p);
            json_array_append_new(arr, p);
        }
    return arr;
}

/* ---------------------------------------------------------------- hub, events, time */

static hub_t hub;
static alerts_t *al;
static int64_t seqno;
static int64_t real0;

static int64_t TD(const char *date, const char *hms)
{
    char buf[64];
    int64_t ms = 0;
    snprintf(buf, sizeof buf, "%sT%s+08:00", date, hms);
    assert_int_equal(cwt_parse_rfc3339(buf, &ms, NULL), 0);
    return ms;
}

static int64_t T(const char *hms)
{
    return TD("2026-11-23", hms);
}

static void setup_at(int64_t t0)
{
    memset(&hub, 0, sizeof hub);
    hub.cfg = &cfg;
    hub.state = state_create(&cfg, t0);
    assert_non_null(hub.state);
    hub.extra_webhooks = extra_rx;
    hub.nextra_webhooks = 1;
    snprintf(hub.origin_self, sizeof hub.origin_self, "http://hub.test");
    al = alerts_create(&hub);
    assert_non_null(al);
    alerts_set_sink(al, sink, NULL);
    real0 = cwt_mono_ms();
}

static void teardown(void)
{
    alerts_destroy(al);
    state_destroy(hub.state);
    sink_clear();
    al = NULL;
}

/* Business time moves to t (the state first, then an evaluation); real time to real0 + r s. */
static void eval_at(int64_t t, int r)
{
    state_advance(hub.state, t);
    alerts_eval(al, t, real0 + (int64_t)r * 1000);
}

static ev_event mk(ev_type type, int hall, int64_t at)
{
    ev_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.hall = hall;
    e.hall_id = cfg.halls[hall].id;
    e.feed = "main";
    e.seq = ++seqno;
    e.at_ms = at;
    e.at_offset_min = 480;
    e.biz = e.to_biz = e.window = e.camera = -1;
    e.channel = e.priority = e.result = e.action = e.pause_reason = -1;
    e.level = e.case_state = e.cam_status = -1;
    return e;
}

static void apply_ev(const ev_event *e)
{
    state_apply(hub.state, e, e->at_ms);
    alerts_on_event(al, e);
}

static void issue(int hall, const char *ticket, int biz, int64_t at)
{
    ev_event e = mk(EV_TICKET_ISSUED, hall, at);
    e.ticket = ticket;
    e.biz = biz;
    e.channel = EV_CH_KIOSK;
    e.priority = EV_PRIO_NORMAL;
    apply_ev(&e);
}

static void tk(ev_type type, int hall, const char *ticket, int window, int64_t at)
{
    ev_event e = mk(type, hall, at);
    e.ticket = ticket;
    e.window = window;
    if (type == EV_TICKET_FINISHED) e.result = EV_RES_DONE;
    apply_ev(&e);
}

static void winev(ev_type type, int hall, int window, const char *staff, int reason, int64_t at)
{
    ev_event e = mk(type, hall, at);
    e.window = window;
    e.staff = staff;
    e.pause_reason = reason;
    apply_ev(&e);
}

static void review(int hall, const char *id, int level, int window, const char *staff,
                   const char *item, const char *comment, bool real_name, int64_t at)
{
    ev_event e = mk(EV_REVIEW_SUBMITTED, hall, at);
    e.review = id;
    e.level = level;
    e.channel = EV_RCH_EVALUATOR;
    e.window = window;
    e.staff = staff;
    e.item = item;
    e.comment = comment;
    e.real_name = real_name;
    apply_ev(&e);
}

static void rcase(int hall, const char *id, int state, int64_t at)
{
    ev_event e = mk(EV_REVIEW_CASE, hall, at);
    e.review = id;
    e.case_state = state;
    apply_ev(&e);
}

static void camera(int hall, int cam, int status, int64_t at)
{
    ev_event e = mk(EV_CAMERA_STATUS, hall, at);
    e.camera = cam;
    e.cam_status = status;
    apply_ev(&e);
}

static void heartbeat(int hall, int64_t at)
{
    ev_event e = mk(EV_HALL_HEARTBEAT, hall, at);
    apply_ev(&e);
}

/* ---------------------------------------------------------------- alert checks */

static json_t *get(const char *id)
{
    return alerts_get(al, id, NULL, true);
}

static const char *sget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, "."))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
    return json_string_value(v);
}

static json_int_t iget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, "."))
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* Alert `id` is in `state` with `sev` ("P3"), or absent when state is NULL. */
static void expect_alert(const char *id, const char *state, const char *sev)
{
    json_t *a = get(id);
    if (!state) {
        if (a) fail_msg("%s: expected no alert, got %s", id, sget(a, "state"));
        return;
    }
    if (!a) fail_msg("%s: expected %s %s, got nothing", id, state, sev);
    if (strcmp(sget(a, "state"), state) != 0 || (sev && strcmp(sget(a, "severity"), sev) != 0))
        fail_msg("%s: expected %s %s, got %s %s", id, state, sev ? sev : "", sget(a, "state"),
                 sget(a, "severity"));
    json_decref(a);
}

static int count_filter(int filter)
{
    json_t *l = alerts_list(al, filter, NULL, true);
    int n = (int)json_array_size(l);
    json_decref(l);
    return n;
}

/* ---------------------------------------------------------------- R1: lifecycle */

static void test_r1_lifecycle(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("08:55:00"));
    issue(0, "A001", 0, T("09:00:00"));
    issue(0, "A002", 0, T("09:05:00"));
    issue(0, "A003", 0, T("09:10:00"));
    issue(0, "A004", 0, T("09:20:00"));
    /* 09:30:00: A001 has waited exactly 30 min, not over 30: nothing */
    eval_at(T("09:30:00"), 0);
    expect_alert("R1:LH-00:A", NULL, NULL);
    /* 09:30:01: over 30 min, R1 has for = 0: firing P3 at once */
    eval_at(T("09:30:01"), 1);
    expect_alert("R1:LH-00:A", "firing", "P3");
    json_t *a = get("R1:LH-00:A");
    assert_string_equal(sget(a, "started"), "2026-11-23T09:30:01.000+08:00");
    assert_string_equal(sget(a, "scope.kind"), "biz");
    assert_string_equal(sget(a, "scope.biz"), "A");
    assert_string_equal(sget(a, "labels.alertname"), "R1");
    assert_string_equal(sget(a, "labels.hall"), "LH-00");
    assert_string_equal(sget(a, "labels.biz"), "A");
    /* evidence: 4 waiting, the three longest first */
    assert_int_equal(iget(a, "evidence.waiting"), 4);
    assert_string_equal(sget(a, "evidence.tickets.0.ticket"), "A001");
    assert_int_equal(iget(a, "evidence.tickets.0.wait_min"), 30);
    assert_string_equal(sget(a, "evidence.tickets.1.ticket"), "A002");
    assert_int_equal(iget(a, "evidence.tickets.1.wait_min"), 25);
    assert_string_equal(sget(a, "evidence.tickets.2.ticket"), "A003");
    assert_string_equal(sget(a, "summary.en"),
                        "LH-00 biz A: 4 waiting, longest A001 has waited 30 min (over 30 min)");
    json_decref(a);
    /* the hall turns `warn` (P3) */
    json_t *city = state_city(hub.state, NULL);
    assert_string_equal(sget(city, "halls.LH-00.status"), "warn");
    json_decref(city);
    /* 10:00:01: over 60 min -> P2, same id, the hall turns `alert` */
    eval_at(T("10:00:01"), 2);
    expect_alert("R1:LH-00:A", "firing", "P2");
    city = state_city(hub.state, NULL);
    assert_string_equal(sget(city, "halls.LH-00.status"), "alert");
    json_decref(city);
    /* A001 is called at 10:05: the longest is now A002, exactly 60 min at 10:05:00 (not over
     * 60): back to P3 */
    tk(EV_TICKET_CALLED, 0, "A001", 0, T("10:05:00"));
    eval_at(T("10:05:00"), 3);
    expect_alert("R1:LH-00:A", "firing", "P3");
    /* all called at 10:06: the condition is false from 10:06:00; keep_firing_for 120 s */
    tk(EV_TICKET_CALLED, 0, "A002", 1, T("10:06:00"));
    tk(EV_TICKET_FINISHED, 0, "A001", 0, T("10:06:00"));
    tk(EV_TICKET_CALLED, 0, "A003", 0, T("10:06:00"));
    tk(EV_TICKET_CALLED, 0, "A004", 2, T("10:06:00"));
    eval_at(T("10:06:00"), 4);
    expect_alert("R1:LH-00:A", "firing", "P3");
    eval_at(T("10:07:59"), 5);
    expect_alert("R1:LH-00:A", "firing", "P3");
    eval_at(T("10:08:00"), 6);
    expect_alert("R1:LH-00:A", "resolved", "P3");
    a = get("R1:LH-00:A");
    assert_string_equal(sget(a, "resolved"), "2026-11-23T10:08:00.000+08:00");
    json_decref(a);
    assert_string_equal(history("R1:LH-00:A"), "pending,firing,severity,severity,resolved");
    /* the topic holds firing alerts only */
    json_t *doc = alerts_doc(al, NULL, true);
    assert_null(json_object_get(doc, "R1:LH-00:A"));
    json_decref(doc);
    teardown();
}

/* ---------------------------------------------------------------- R3: `for`, cancel */

static void test_r3_for_and_cancel(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:50:00"));
    char id[16];
    /* 10 B tickets, no staffed window: waiting 10 >= 10 x max(1, 0) */
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "B%03d", i + 1);
        issue(0, id, 1, T("09:55:00"));
    }
    eval_at(T("10:00:00"), 0);
    expect_alert("R3:LH-00:B", "pending", "P3");
    json_t *doc = alerts_doc(al, NULL, true);
    assert_int_equal(json_object_size(doc), 0); /* pending is not in the topic */
    json_decref(doc);
    eval_at(T("10:01:59"), 1);
    expect_alert("R3:LH-00:B", "pending", "P3");
    eval_at(T("10:02:00"), 2); /* for = 120 s */
    expect_alert("R3:LH-00:B", "firing", "P3");
    json_t *a = get("R3:LH-00:B");
    assert_int_equal(iget(a, "evidence.waiting"), 10);
    assert_int_equal(iget(a, "evidence.staffed"), 0);
    json_decref(a);
    /* window B01 opens: threshold 10 x 1 = 10, still true; one call: 9 < 10, false */
    winev(EV_WINDOW_OPENED, 0, 2, "W1002", -1, T("10:03:00"));
    tk(EV_TICKET_CALLED, 0, "B001", 2, T("10:03:00"));
    eval_at(T("10:03:00"), 3);
    eval_at(T("10:05:00"), 4);
    expect_alert("R3:LH-00:B", "resolved", "P3");
    /* a second episode that turns false before `for`: cancelled and forgotten */
    issue(0, "B011", 1, T("10:06:00"));
    tk(EV_TICKET_FINISHED, 0, "B001", 2, T("10:06:00"));
    winev(EV_WINDOW_CLOSED, 0, 2, NULL, -1, T("10:06:00"));
    eval_at(T("10:06:00"), 5);
    expect_alert("R3:LH-00:B", "pending", "P3");
    tk(EV_TICKET_CALLED, 0, "B002", 0, T("10:07:00"));
    eval_at(T("10:07:00"), 6);
    expect_alert("R3:LH-00:B", NULL, NULL);
    assert_string_equal(history("R3:LH-00:B"), "pending,firing,resolved,pending,cancelled");
    teardown();
}

/* ---------------------------------------------------------------- R5, R6, R7, R9 */

static void test_window_rules(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:00:00"));
    /* A01: W1001 serves A001 from 09:10 (R5: > 30 min, no history -> floor 30 min) */
    winev(EV_WINDOW_OPENED, 0, 0, "W1001", -1, T("09:05:00"));
    issue(0, "A001", 0, T("09:06:00"));
    tk(EV_TICKET_CALLED, 0, "A001", 0, T("09:08:00"));
    tk(EV_TICKET_STARTED, 0, "A001", 0, T("09:10:00"));
    /* A02: opened 09:05, idle; B01: paused for a break at 09:20 */
    winev(EV_WINDOW_OPENED, 0, 1, "W1002", -1, T("09:05:00"));
    winev(EV_WINDOW_OPENED, 0, 2, NULL, -1, T("09:05:00"));
    winev(EV_WINDOW_PAUSED, 0, 2, NULL, EV_PAUSE_BREAK, T("09:20:00"));
    /* a B ticket waits from 09:30, an A ticket from 09:37 */
    issue(0, "B001", 1, T("09:30:00"));
    issue(0, "A002", 0, T("09:37:00"));
    eval_at(T("09:40:00"), 0);
    /* R5: 30 min of service at 09:40:00 is not over 30 */
    expect_alert("R5:LH-00:A01", NULL, NULL);
    /* R6: paused 20 min > 15 with 1 waiting for B: P3 */
    expect_alert("R6:LH-00:B01", "firing", "P3");
    /* R7: A02 idle since 09:05 but A waits only since 09:37: idle 3 min < 5 */
    expect_alert("R7:LH-00:A02", NULL, NULL);
    eval_at(T("09:40:01"), 1);
    expect_alert("R5:LH-00:A01", "firing", "P4");
    json_t *a = get("R5:LH-00:A01");
    assert_string_equal(sget(a, "evidence.ticket"), "A001");
    assert_string_equal(sget(a, "evidence.since"), "2026-11-23T09:10:00.000+08:00");
    assert_int_equal(iget(a, "evidence.threshold_min"), 30);
    assert_string_equal(sget(a, "evidence.staff"), "W1001");
    assert_string_equal(sget(a, "evidence.staff_name"), "张三");
    assert_string_equal(sget(a, "labels.staff"), "W1001");
    json_decref(a);
    /* a wall (no names) gets the staff id, not the name */
    a = alerts_get(al, "R5:LH-00:A01", NULL, false);
    assert_null(sget(a, "evidence.staff_name"));
    assert_string_equal(sget(a, "evidence.staff"), "W1001");
    json_decref(a);
    /* 09:42:00: A waits since 09:37 -> A02 idle 5 min: R7 (for 0) */
    eval_at(T("09:42:00"), 2);
    expect_alert("R7:LH-00:A02", "firing", "P3");
    a = get("R7:LH-00:A02");
    assert_string_equal(sget(a, "evidence.since"), "2026-11-23T09:37:00.000+08:00");
    json_decref(a);
    /* 09:50:01: paused 30 min 1 s > 30: R6 rises to P2 */
    eval_at(T("09:50:01"), 3);
    expect_alert("R6:LH-00:B01", "firing", "P2");
    /* A02 calls A002: R7 false; recalls it 3 times: R9 (for 120 s) */
    tk(EV_TICKET_CALLED, 0, "A002", 1, T("09:51:00"));
    for (int i = 0; i < 3; i++)
        tk(EV_TICKET_RECALLED, 0, "A002", 1, T("09:52:00"));
    eval_at(T("09:52:00"), 4);
    expect_alert("R9:LH-00:A02", "pending", "P4");
    eval_at(T("09:54:00"), 5);
    expect_alert("R9:LH-00:A02", "firing", "P4");
    expect_alert("R7:LH-00:A02", "resolved", "P3"); /* false at 09:52:00, resolved 09:54 */
    a = get("R9:LH-00:A02");
    assert_int_equal(iget(a, "evidence.recalls"), 3);
    assert_string_equal(sget(a, "evidence.ticket"), "A002");
    json_decref(a);
    /* a lunch pause never counts: B01 paused for lunch from 09:55 */
    winev(EV_WINDOW_RESUMED, 0, 2, NULL, -1, T("09:55:00"));
    winev(EV_WINDOW_PAUSED, 0, 2, NULL, EV_PAUSE_LUNCH, T("09:55:00"));
    eval_at(T("10:30:00"), 6); /* false from here; resolved 2 min later */
    expect_alert("R6:LH-00:B01", "firing", "P2");
    eval_at(T("10:32:00"), 7);
    expect_alert("R6:LH-00:B01", "resolved", "P2");
    teardown();
}

/* ---------------------------------------------------------------- R8, R15, hours, inhibition */

static void test_hours_silence_inhibit(void **unused)
{
    (void)unused;
    build_cfg();
    enable(CFG_R15, true);
    enable(CFG_R8, true);
    /* this test follows R8's lifecycle with a `for` of 2 min (the default is 10 min) */
    cfg.alerts.rules[CFG_R8].set |= 1u << CFG_P_FOR_S;
    cfg.alerts.rules[CFG_R8].v[CFG_P_FOR_S] = 120;
    setup_at(T("08:50:00"));
    /* LH-01 sends a heartbeat at 08:59 and a ticket waits there from 09:00 */
    heartbeat(1, T("08:59:00"));
    issue(1, "A001", 0, T("09:00:00"));
    /* LH-00 opens one of its 3 windows at 09:00 */
    winev(EV_WINDOW_OPENED, 0, 0, "W1001", -1, T("09:00:00"));
    heartbeat(0, T("09:00:00"));
    /* 09:05:00: LH-01 silent since 09:00 (its last event) for 5 min, not over: nothing.
     * R8: 1 staffed < 0.8 x 3 planned but only from 09:10 */
    eval_at(T("09:05:00"), 0);
    expect_alert("R15:LH-01", NULL, NULL);
    expect_alert("R8:LH-00", NULL, NULL);
    eval_at(T("09:05:01"), 1);
    expect_alert("R15:LH-01", "firing", "P2");
    json_t *city = state_city(hub.state, NULL);
    assert_string_equal(sget(city, "halls.LH-01.status"), "offline");
    json_decref(city);
    eval_at(T("09:10:00"), 2);
    expect_alert("R8:LH-00", "pending", "P2");
    expect_alert("R15:LH-00", "firing", "P2"); /* LH-00 silent since 09:00 too */
    heartbeat(0, T("09:10:00"));
    eval_at(T("09:12:00"), 3);
    expect_alert("R8:LH-00", "firing", "P2");
    json_t *a = get("R8:LH-00");
    assert_int_equal(iget(a, "evidence.staffed"), 1);
    assert_int_equal(iget(a, "evidence.planned"), 3);
    json_decref(a);
    /* 09:31: LH-01's ticket waits 31 min: R1 fires, inhibited by R15. LH-00 heard from at
     * 09:30: its R15 (firing again since 09:15:01) turned false 19 min ago: resolved */
    heartbeat(0, T("09:30:00"));
    eval_at(T("09:31:00"), 4);
    expect_alert("R1:LH-01:A", "firing", "P3");
    a = get("R1:LH-01:A");
    assert_true(json_is_true(json_object_get(a, "inhibited")));
    json_decref(a);
    /* LH-01 also staffs 0 of its 1 planned window since 09:10: R8, inhibited as well */
    json_t *inh = alerts_list(al, ALERTS_INHIBITED, NULL, true);
    assert_int_equal(json_array_size(inh), 2);
    assert_string_equal(sget(inh, "0.id"), "R1:LH-01:A");
    assert_string_equal(sget(inh, "1.id"), "R8:LH-01");
    json_decref(inh);
    expect_alert("R8:LH-00", "firing", "P2");
    a = get("R8:LH-00");
    assert_false(json_is_true(json_object_get(a, "inhibited")));
    json_decref(a);
    /* lunch: queue rules and R15 do not run; LH-01's alerts resolve after 2 min */
    eval_at(T("12:00:00"), 5);
    eval_at(T("12:02:00"), 6);
    expect_alert("R15:LH-01", "resolved", "P2");
    expect_alert("R1:LH-01:A", "resolved", "P3");
    expect_alert("R8:LH-00", "resolved", "P2");
    /* after lunch LH-01's silence counts from 13:30: fires at 13:35:01 */
    eval_at(T("13:35:00"), 7);
    expect_alert("R15:LH-01", "resolved", "P2");
    eval_at(T("13:35:01"), 8);
    expect_alert("R15:LH-01", "firing", "P2");
    a = get("R15:LH-01");
    assert_string_equal(sget(a, "evidence.since"), "2026-11-23T13:30:00.000+08:00");
    assert_string_equal(sget(a, "evidence.last_event"), "2026-11-23T09:00:00.000+08:00");
    json_decref(a);
    /* a heartbeat: false, resolved 2 min later; the hall is ok again */
    heartbeat(1, T("13:40:00"));
    eval_at(T("13:40:00"), 9);
    eval_at(T("13:42:00"), 10);
    expect_alert("R15:LH-01", "resolved", "P2");
    state_advance(hub.state, T("13:42:01"));
    city = state_city(hub.state, NULL);
    assert_string_equal(sget(city, "halls.LH-01.status"), "alert"); /* R1 P2, no longer inhibited */
    json_decref(city);
    /* the holiday 2026-12-01 (Tue): no queue rule and no R15 all day */
    eval_at(TD("2026-12-01", "10:00:00"), 11);
    eval_at(TD("2026-12-01", "10:02:00"), 12);
    assert_int_equal(count_filter(ALERTS_ACTIVE), 0);
    teardown();
}

/* ---------------------------------------------------------------- R10, R11, R12 */

static void test_review_rules(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:00:00"));
    /* a level-2 review at A01 by W1001: R10 P3 (SPEC: a case to follow up) */
    review(0, "RV1", 2, 0, "W1001", "ITEM-1", "等了很久", false, T("09:10:00"));
    eval_at(T("09:10:00"), 0);
    expect_alert("R10:LH-00:RV1", "firing", "P3");
    /* a level-1 real-name review with 跳 楼 (spaces normalised away): P1, term recorded */
    review(0, "RV2", 1, 0, "W1001", "ITEM-1", "再不办就跳 楼，电话13812345678", true,
           T("09:20:00"));
    eval_at(T("09:20:00"), 1);
    expect_alert("R10:LH-00:RV2", "firing", "P1");
    json_t *a = get("R10:LH-00:RV2");
    assert_string_equal(sget(a, "evidence.sensitive.term"), "跳楼");
    assert_string_equal(sget(a, "evidence.sensitive.category"), "人身安全");
    assert_string_equal(sget(a, "labels.category"), "人身安全");
    /* the comment is shown masked, and only to views with names */
    assert_string_equal(sget(a, "evidence.comment"), "再不办就跳 楼，电话138****5678");
    json_decref(a);
    a = alerts_get(al, "R10:LH-00:RV2", NULL, false);
    assert_null(sget(a, "evidence.comment"));
    json_decref(a);
    /* two bad reviews of W1001 (and of window A01) today: R12 for the staff and the window */
    expect_alert("R12:LH-00:staff:W1001", "firing", "P2");
    expect_alert("R12:LH-00:window:A01", "firing", "P2");
    expect_alert("R12:LH-00:item:ITEM-1", NULL, NULL); /* items need 3 */
    /* a level-4 review with 态度恶劣 scores 4 x 0.3 = 1.2 (但是: no praise factor), under the
     * note score 2: no alert (it used to page P1) */
    review(0, "RV3", 4, 1, "W1002", NULL, "态度恶劣但是解决了", false, T("09:30:00"));
    eval_at(T("09:30:00"), 2);
    expect_alert("R10:LH-00:RV3", NULL, NULL);
    /* the third ITEM-1 bad review, at LH-00 window A02 */
    review(0, "RV4", 2, 1, "W1002", "ITEM-1", NULL, false, T("09:40:00"));
    eval_at(T("09:40:00"), 3);
    expect_alert("R12:LH-00:item:ITEM-1", "firing", "P2");
    a = get("R12:LH-00:item:ITEM-1");
    assert_int_equal(iget(a, "evidence.bad_reviews"), 3);
    json_decref(a);
    /* the case of RV1 closes: its R10 resolves at once (keep 0); RV2 is appealed and the
     * appeal upheld: R10 resolves and RV2 leaves the clusters -> W1001 has 1, R12 resolves */
    rcase(0, "RV1", EV_CASE_CLOSED, T("09:50:00"));
    rcase(0, "RV2", EV_CASE_APPEALED, T("09:50:00"));
    eval_at(T("09:50:00"), 4);
    expect_alert("R10:LH-00:RV1", "resolved", "P3");
    expect_alert("R10:LH-00:RV2", "firing", "P1");
    rcase(0, "RV2", EV_CASE_APPEAL_UPHELD, T("09:51:00"));
    eval_at(T("09:51:00"), 5);
    expect_alert("R10:LH-00:RV2", "resolved", "P1");
    expect_alert("R12:LH-00:staff:W1001", "resolved", "P2");
    /* R11: RV4 (not real-name) must be rectified within 5 working days: by Mon 11-30 17:00.
     * RV5, real-name at 10:00, must be contacted by Tue 11-24 17:00. */
    review(1, "RV5", 1, 0, NULL, NULL, NULL, true, T("10:00:00"));
    eval_at(T("10:00:00"), 6);
    expect_alert("R10:LH-01:RV5", "firing", "P3");
    eval_at(TD("2026-11-24", "17:00:00"), 6);
    expect_alert("R11:LH-01:RV5", NULL, NULL);
    eval_at(TD("2026-11-24", "17:00:01"), 7);
    expect_alert("R11:LH-01:RV5", "firing", "P2");
    a = get("R11:LH-01:RV5");
    assert_string_equal(sget(a, "evidence.overdue"), "contact");
    assert_string_equal(sget(a, "evidence.contact_deadline"), "2026-11-24T17:00:00.000+08:00");
    json_decref(a);
    /* R10 of RV5 resolved after 24 h (resolve_after_h) although its case is open */
    expect_alert("R10:LH-01:RV5", "resolved", "P3");
    /* contacted: the contact deadline no longer counts; rectify by 11-30: resolved 2 min on */
    rcase(1, "RV5", EV_CASE_CONTACTED, TD("2026-11-24", "17:01:00"));
    eval_at(TD("2026-11-24", "17:01:00"), 8);
    eval_at(TD("2026-11-24", "17:03:00"), 9);
    expect_alert("R11:LH-01:RV5", "resolved", "P2");
    /* Mon 11-30 17:00:01: RV4's rectify deadline passed (R11 LH-00:RV4) */
    eval_at(TD("2026-11-30", "17:00:01"), 10);
    expect_alert("R11:LH-00:RV4", "firing", "P2");
    a = get("R11:LH-00:RV4");
    assert_string_equal(sget(a, "evidence.overdue"), "rectify");
    json_decref(a);
    teardown();
}

/* ---------------------------------------------------------------- R14 */

static void test_r14_cameras(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:00:00"));
    for (int c = 0; c < 6; c++)
        camera(0, c, EV_CAM_ONLINE, T("09:00:00"));
    camera(0, 1, EV_CAM_OFFLINE, T("09:10:00")); /* Q1, waiting area */
    eval_at(T("09:11:00"), 0);                   /* down 60 s: not over 60 */
    expect_alert("R14:LH-00:Q1", NULL, NULL);
    eval_at(T("09:11:01"), 1); /* 1 of 6 down = 16.7 % <= 20 %: P3 */
    expect_alert("R14:LH-00:Q1", "firing", "P3");
    camera(0, 0, EV_CAM_NO_FRAME, T("09:12:00")); /* W1, a window camera: P2 */
    eval_at(T("09:13:01"), 2);
    expect_alert("R14:LH-00:W1", "firing", "P2");
    /* 2 of 6 down = 33 % > 20 %: every down camera is P2 */
    expect_alert("R14:LH-00:Q1", "firing", "P2");
    json_t *a = get("R14:LH-00:W1");
    assert_string_equal(sget(a, "evidence.status"), "no_frame");
    assert_string_equal(sget(a, "evidence.since"), "2026-11-23T09:12:00.000+08:00");
    assert_int_equal(iget(a, "evidence.down"), 2);
    json_decref(a);
    /* cameras count at night too; back online: resolved 2 min later */
    camera(0, 0, EV_CAM_ONLINE, T("20:00:00"));
    camera(0, 1, EV_CAM_ONLINE, T("20:00:00"));
    eval_at(T("20:00:00"), 3);
    eval_at(T("20:02:00"), 4);
    expect_alert("R14:LH-00:W1", "resolved", "P2");
    expect_alert("R14:LH-00:Q1", "resolved", "P2");
    teardown();
}

/* ---------------------------------------------------------------- notifications, silences */

static void test_notify_and_silence(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:00:00"));
    issue(0, "A001", 0, T("09:00:00"));
    issue(1, "A001", 0, T("09:00:00"));
    /* silence R1 of LH-01 for the working-day morning, recurring */
    json_t *body =
        json_pack("{s:[{s:s,s:s},{s:s,s:s}],s:{s:s,s:s,s:s},s:s}", "matchers", "name", "alertname",
                  "value", "R1", "name", "hall", "value", "LH-01", "recurrence", "days", "workdays",
                  "from", "09:00", "to", "10:00", "comment", "晨会");
    json_t *sil = NULL;
    char err[200];
    /* a hall account of LH-00 may not silence LH-01 */
    bool lh00[2] = {true, false};
    assert_int_equal(alerts_silence_add(al, body, "lh00", lh00, &sil, err, sizeof err), 403);
    assert_int_equal(alerts_silence_add(al, body, "admin", NULL, &sil, err, sizeof err), 201);
    const char *sid = sget(sil, "id");
    assert_non_null(sid);
    char sid_copy[32];
    snprintf(sid_copy, sizeof sid_copy, "%s", sid);
    assert_string_equal(sget(sil, "recurrence.days"), "workdays");
    json_decref(sil);
    json_decref(body);

    eval_at(T("09:30:01"), 0); /* both R1 fire (P3); LH-01's is silenced */
    expect_alert("R1:LH-00:A", "firing", "P3");
    expect_alert("R1:LH-01:A", "firing", "P3");
    json_t *a = get("R1:LH-01:A");
    assert_true(json_is_true(json_object_get(a, "silenced")));
    assert_string_equal(sget(a, "silence"), sid_copy);
    json_decref(a);
    assert_int_equal(count_filter(ALERTS_SILENCED), 1);
    assert_int_equal(count_filter(ALERTS_FIRING), 1);
    /* nothing is sent before the group wait (10 s of real time) */
    eval_at(T("09:30:05"), 9);
    json_t *ob = outbox();
    assert_int_equal(json_array_size(ob), 0);
    json_decref(ob);
    eval_at(T("09:30:06"), 10);
    ob = outbox();
    assert_int_equal(json_array_size(ob), 1); /* LH-00's group only */
    json_t *p = json_array_get(ob, 0);
    assert_string_equal(sget(p, "version"), "4");
    assert_string_equal(sget(p, "status"), "firing");
    assert_string_equal(sget(p, "receiver"), "citywall");
    assert_string_equal(sget(p, "groupLabels.hall"), "LH-00");
    assert_string_equal(sget(p, "groupKey"), "{}:{hall=\"LH-00\"}");
    assert_string_equal(sget(p, "commonLabels.alertname"), "R1");
    assert_string_equal(sget(p, "externalURL"), "http://hub.test");
    assert_int_equal(json_array_size(json_object_get(p, "alerts")), 1);
    assert_string_equal(sget(p, "alerts.0.status"), "firing");
    assert_string_equal(sget(p, "alerts.0.labels.severity"), "P3");
    assert_string_equal(sget(p, "alerts.0.startsAt"), "2026-11-23T01:30:01.000Z");
    assert_string_equal(sget(p, "alerts.0.endsAt"), "0001-01-01T00:00:00Z");
    assert_string_equal(sget(p, "alerts.0.generatorURL"),
                        "http://hub.test/api/v1/alerts?id=R1:LH-00:A");
    assert_int_equal(strlen(sget(p, "alerts.0.fingerprint")), 16);
    assert_non_null(strstr(sget(p, "alerts.0.annotations.summary"), "市中心"));
    json_decref(ob);

    /* 10:00: the recurrence ends; LH-01's R1 (now P2) is notified after the group wait */
    eval_at(T("10:00:01"), 20);
    a = get("R1:LH-01:A");
    assert_false(json_is_true(json_object_get(a, "silenced")));
    json_decref(a);
    eval_at(T("10:00:02"), 30);
    ob = outbox();
    assert_int_equal(json_array_size(ob), 3); /* + LH-00 (P2) + LH-01 (P2) */
    json_decref(ob);

    /* a silence with endsAt on LH-00's R1, then its tickets are called: resolved while
     * silenced -> the resolved notification is still sent */
    body = json_pack("{s:[{s:s,s:s,s:b}],s:s,s:s}", "matchers", "name", "hall", "value", "LH-0[0]",
                     "isRegex", 1, "startsAt", "2026-11-23T10:00:00+08:00", "endsAt",
                     "2026-11-23T11:00:00+08:00");
    assert_int_equal(alerts_silence_add(al, body, "admin", NULL, &sil, err, sizeof err), 201);
    json_decref(sil);
    json_decref(body);
    eval_at(T("10:01:00"), 40);
    expect_alert("R1:LH-00:A", "firing", "P2");
    a = get("R1:LH-00:A");
    assert_true(json_is_true(json_object_get(a, "silenced")));
    json_decref(a);
    tk(EV_TICKET_CALLED, 0, "A001", 0, T("10:02:00"));
    eval_at(T("10:02:00"), 41);
    eval_at(T("10:04:00"), 42);
    expect_alert("R1:LH-00:A", "resolved", "P2");
    eval_at(T("10:04:01"), 52);
    ob = outbox();
    assert_int_equal(json_array_size(ob), 4);
    p = json_array_get(ob, 3);
    assert_string_equal(sget(p, "status"), "resolved");
    assert_string_equal(sget(p, "alerts.0.status"), "resolved");
    assert_string_equal(sget(p, "alerts.0.endsAt"), "2026-11-23T02:04:00.000Z");
    json_decref(ob);
    /* expiring the recurring silence */
    json_t *out = NULL;
    assert_int_equal(alerts_silence_expire(al, "s-none", "admin", NULL, &out), 404);
    assert_int_equal(alerts_silence_expire(al, sid_copy, "admin", NULL, &out), 200);
    assert_string_equal(sget(out, "status.state"), "expired");
    json_decref(out);
    teardown();
}

static void test_ack(void **unused)
{
    (void)unused;
    build_cfg();
    setup_at(T("09:00:00"));
    issue(0, "A001", 0, T("09:00:00"));
    eval_at(T("09:31:00"), 0);
    json_t *out = NULL;
    bool lh01[2] = {false, true};
    assert_int_equal(alerts_ack(al, "R1:LH-00:A", "lh01", "x", lh01, &out), 404);
    assert_int_equal(alerts_ack(al, "R1:LH-00:A", "admin", "已安排增开窗口", NULL, &out), 200);
    assert_string_equal(sget(out, "ack.by"), "admin");
    assert_string_equal(sget(out, "ack.note"), "已安排增开窗口");
    assert_string_equal(sget(out, "ack.at"), "2026-11-23T09:31:00.000+08:00");
    assert_string_equal(sget(out, "state"), "firing"); /* it keeps firing */
    json_decref(out);
    assert_string_equal(history("R1:LH-00:A"), "pending,firing,ack");
    assert_int_equal(alerts_ack(al, "R9:nope", "admin", NULL, NULL, &out), 404);
    teardown();
}

/* ---------------------------------------------------------------- overrides */

static void test_overrides(void **unused)
{
    (void)unused;
    build_cfg();
    /* biz type A everywhere: R1 P3 from 20 min; hall LH-01's A: from 10 min, P2 from 15 */
    memset(scopes, 0, sizeof scopes);
    scopes[0].hall = -1;
    scopes[0].biz = "A";
    scopes[0].rules[CFG_R1].set = 1u << CFG_P_FIRST;
    scopes[0].rules[CFG_R1].v[CFG_P_FIRST] = 20;
    scopes[1].hall = 1;
    scopes[1].biz = "A";
    scopes[1].rules[CFG_R1].set = (1u << CFG_P_FIRST) | (1u << (CFG_P_FIRST + 1));
    scopes[1].rules[CFG_R1].v[CFG_P_FIRST] = 10;
    scopes[1].rules[CFG_R1].v[CFG_P_FIRST + 1] = 15;
    cfg.alerts.scopes = scopes;
    cfg.alerts.nscopes = 2;
    assert_true(cfg_alert_param(&cfg, CFG_R1, 0, "A", CFG_P_FIRST) == 20);
    assert_true(cfg_alert_param(&cfg, CFG_R1, 0, "B", CFG_P_FIRST) == 30);
    assert_true(cfg_alert_param(&cfg, CFG_R1, 1, "A", CFG_P_FIRST) == 10);
    assert_true(cfg_alert_param(&cfg, CFG_R1, 1, "A", CFG_P_FIRST + 1) == 15);
    assert_true(cfg_alert_param(&cfg, CFG_R1, 0, "A", CFG_P_FIRST + 1) == 60);
    assert_true(cfg_alert_param(&cfg, CFG_R1, 0, "A", CFG_P_KEEP_S) == 120);
    assert_true(cfg_alert_param(&cfg, CFG_R15, 0, NULL, CFG_P_ENABLED) == 0);
    setup_at(T("09:00:00"));
    issue(0, "A001", 0, T("09:00:00"));
    issue(0, "B001", 1, T("09:00:00"));
    issue(1, "A001", 0, T("09:00:00"));
    eval_at(T("09:10:01"), 0);
    expect_alert("R1:LH-01:A", "firing", "P3");
    expect_alert("R1:LH-00:A", NULL, NULL);
    eval_at(T("09:15:01"), 1);
    expect_alert("R1:LH-01:A", "firing", "P2");
    eval_at(T("09:20:01"), 2);
    expect_alert("R1:LH-00:A", "firing", "P3");
    expect_alert("R1:LH-00:B", NULL, NULL);
    eval_at(T("09:30:01"), 3);
    expect_alert("R1:LH-00:B", "firing", "P3");
    teardown();
}

/* ---------------------------------------------------------------- what colours a hall */

static const char *hall_status(int h)
{
    static char buf[16];
    json_t *city = state_city(hub.state, NULL);
    char path[32];
    snprintf(path, sizeof path, "halls.%s.status", cfg.halls[h].id);
    snprintf(buf, sizeof buf, "%s", sget(city, path));
    json_decref(city);
    return buf;
}

/* Issue 15 item 5: an ordinary bad review and a short break leave the hall not red. LH-00
 * staffs its 3 planned windows from 09:00; R8 on with its defaults (ratio 0.8, `for` 10 min,
 * break_min 15); R10 colour_min 30. */
static void test_hall_colour_now(void **unused)
{
    (void)unused;
    build_cfg();
    enable(CFG_R8, true);
    setup_at(T("08:50:00"));
    for (int w = 0; w < 3; w++)
        winev(EV_WINDOW_OPENED, 0, w, "W1001", -1, T("09:00:00"));
    eval_at(T("09:00:00"), 0);
    assert_string_equal(hall_status(0), "ok");
    /* 09:30 A02 goes on a break (2 of 3 staffed, 67 % < 80 %) and a level-2 review arrives:
     * R10 P3 colours the hall `warn` (yellow), not `alert` */
    winev(EV_WINDOW_PAUSED, 0, 1, NULL, EV_PAUSE_BREAK, T("09:30:00"));
    review(0, "RV1", 2, 0, "W1001", NULL, "等了很久", false, T("09:30:00"));
    eval_at(T("09:30:00"), 1);
    expect_alert("R10:LH-00:RV1", "firing", "P3");
    expect_alert("R8:LH-00", NULL, NULL);
    assert_string_equal(hall_status(0), "warn");
    /* 09:44:59: the break (14:59) still counts as staffed: no R8 */
    eval_at(T("09:44:59"), 2);
    expect_alert("R8:LH-00", NULL, NULL);
    /* 09:45:00: 15 min of break: the dip counts from now, R8 pending (fires at 09:55) */
    eval_at(T("09:45:00"), 3);
    expect_alert("R8:LH-00", "pending", "P2");
    assert_string_equal(hall_status(0), "warn");
    /* 09:50: the review is acknowledged: it no longer colours the hall (still firing, its case
     * open); the pending R8 does not colour either */
    eval_at(T("09:50:00"), 4);
    json_t *out = NULL;
    assert_int_equal(alerts_ack(al, "R10:LH-00:RV1", "admin", "已联系", NULL, &out), 200);
    json_decref(out);
    expect_alert("R10:LH-00:RV1", "firing", "P3");
    assert_string_equal(hall_status(0), "ok");
    /* 09:52: back from a 22-minute break: R8 dropped before it fired */
    winev(EV_WINDOW_RESUMED, 0, 1, NULL, -1, T("09:52:00"));
    eval_at(T("09:52:00"), 5);
    expect_alert("R8:LH-00", NULL, NULL);
    assert_string_equal(hall_status(0), "ok");
    /* 10:00 another bad review, never acknowledged: `warn` for colour_min = 30 min only */
    review(0, "RV2", 1, 2, "W1002", NULL, NULL, false, T("10:00:00"));
    eval_at(T("10:00:00"), 6);
    expect_alert("R10:LH-00:RV2", "firing", "P3");
    assert_string_equal(hall_status(0), "warn");
    eval_at(T("10:29:59"), 7);
    assert_string_equal(hall_status(0), "warn");
    eval_at(T("10:30:00"), 8);
    expect_alert("R10:LH-00:RV2", "firing", "P3"); /* listed (and in the case list) */
    assert_string_equal(hall_status(0), "ok");
    /* a sensitive review (跳楼 on one star: 10 x 1.5 = 15 >= 7) pages P1: `alert` until
     * acknowledged, past colour_min */
    review(0, "RV3", 1, 2, NULL, NULL, "再不办就跳楼", false, T("10:31:00"));
    eval_at(T("10:31:00"), 9);
    expect_alert("R10:LH-00:RV3", "firing", "P1");
    assert_string_equal(hall_status(0), "alert");
    eval_at(T("11:31:00"), 10);
    assert_string_equal(hall_status(0), "alert");
    assert_int_equal(alerts_ack(al, "R10:LH-00:RV3", "admin", NULL, NULL, &out), 200);
    json_decref(out);
    assert_string_equal(hall_status(0), "ok");
    /* a pause for another reason is not a break: 2 of 3 staffed from 11:40, pending at once,
     * firing P2 at 11:50 -- a live problem turns the hall red */
    winev(EV_WINDOW_PAUSED, 0, 2, NULL, EV_PAUSE_OTHER, T("11:40:00"));
    eval_at(T("11:40:00"), 11);
    expect_alert("R8:LH-00", "pending", "P2");
    eval_at(T("11:50:00"), 12);
    expect_alert("R8:LH-00", "firing", "P2");
    json_t *a = get("R8:LH-00");
    assert_int_equal(iget(a, "evidence.staffed"), 2);
    assert_int_equal(iget(a, "evidence.on_short_break"), 0);
    json_decref(a);
    assert_string_equal(hall_status(0), "alert");
    teardown();
}

/* ---------------------------------------------------------------- escalation (督办) */

/* Outbox rows written for receiver url: how many, and the last payload (new reference). */
static int rows_for(const char *url, json_t **last)
{
    int n = 0;
    if (last) *last = NULL;
    for (int i = 0; i < njobs; i++)
        if (strstr(jobs[i].sql, "INSERT INTO outbox") && !strcmp(jobs[i].args[0], url)) {
            n++;
            if (last) {
                json_decref(*last);
                *last = json_loads(jobs[i].args[2], 0, NULL);
            }
        }
    return n;
}

static char *city_rx[] = {"http://city.test/hook"};
static char *leader_rx[] = {"http://leader.test/hook"};

/* R10 escalates after 20 working minutes per level: a bad review at 11:50 is due at 13:40
 * (10 min before lunch, lunch 12:00-13:30 does not count, 10 after), then at 14:00. */
static void test_escalation(void **unused)
{
    (void)unused;
    build_cfg();
    static cfg_esc_policy pol[] = {
        {.rule = CFG_R10, .severity = 0, .unit = CFG_ESC_MINUTES, .amount = 20}};
    cfg.alerts.esc = pol;
    cfg.alerts.nesc = 1;
    cfg.alerts.esc_rx[1] = city_rx;
    cfg.alerts.nesc_rx[1] = 1;
    cfg.alerts.esc_rx[2] = leader_rx;
    cfg.alerts.nesc_rx[2] = 1;
    setup_at(T("11:00:00"));
    review(0, "RV1", 2, 0, "W1001", NULL, "等了很久", false, T("11:50:00"));
    eval_at(T("11:50:00"), 0);
    expect_alert("R10:LH-00:RV1", "firing", "P3");
    json_t *a = get("R10:LH-00:RV1");
    assert_int_equal(iget(a, "escalation_level"), 0);
    assert_false(json_is_true(json_object_get(a, "escalated")));
    assert_string_equal(sget(a, "escalation.due"), "2026-11-23T13:40:00.000+08:00");
    json_decref(a);
    alerts_flush_groups(al, real0 + 1000);
    assert_int_equal(rows_for("http://rx.test/hook", NULL), 1);
    assert_int_equal(rows_for("http://city.test/hook", NULL), 0);
    /* lunch does not count: still level 0 at 13:39:59 */
    eval_at(T("13:39:59"), 2);
    expect_alert("R10:LH-00:RV1", "firing", "P3");
    /* 13:40: P3 -> P2, to the city level */
    eval_at(T("13:40:00"), 3);
    expect_alert("R10:LH-00:RV1", "firing", "P2");
    a = get("R10:LH-00:RV1");
    assert_true(json_is_true(json_object_get(a, "escalated")));
    assert_int_equal(iget(a, "escalation_level"), 1);
    assert_string_equal(sget(a, "escalation.to"), "city");
    assert_string_equal(sget(a, "escalation.at"), "2026-11-23T13:40:00.000+08:00");
    assert_string_equal(sget(a, "escalation.due"), "2026-11-23T14:00:00.000+08:00");
    assert_string_equal(sget(a, "escalation.steps.0.from"), "P3");
    assert_string_equal(sget(a, "escalation.steps.0.severity"), "P2");
    json_decref(a);
    assert_string_equal(history("R10:LH-00:RV1"), "pending,firing,notified,escalated");
    alerts_flush_groups(al, real0 + 4000);
    json_t *p = NULL;
    assert_int_equal(rows_for("http://rx.test/hook", NULL), 2);
    assert_int_equal(rows_for("http://city.test/hook", &p), 1);
    assert_int_equal(rows_for("http://leader.test/hook", NULL), 0);
    assert_string_equal(sget(p, "receiver"), "citywall-city");
    assert_string_equal(sget(p, "alerts.0.labels.severity"), "P2");
    assert_string_equal(sget(p, "alerts.0.annotations.escalated_to"), "city");
    json_decref(p);
    /* 14:00: P2 -> P1, to the leader level; the city level is told as well */
    eval_at(T("14:00:00"), 5);
    expect_alert("R10:LH-00:RV1", "firing", "P1");
    alerts_flush_groups(al, real0 + 6000);
    assert_int_equal(rows_for("http://city.test/hook", NULL), 2);
    assert_int_equal(rows_for("http://leader.test/hook", &p), 1);
    assert_string_equal(sget(p, "alerts.0.labels.severity"), "P1");
    assert_string_equal(sget(p, "alerts.0.annotations.escalation_level"), "2");
    json_decref(p);
    /* the top level: no further step, no due */
    eval_at(T("15:00:00"), 7);
    a = get("R10:LH-00:RV1");
    assert_int_equal(iget(a, "escalation_level"), 2);
    assert_null(sget(a, "escalation.due"));
    json_decref(a);
    /* an acknowledged alert does not escalate: RV2 at 15:10, acknowledged at 15:20 */
    review(0, "RV2", 1, 1, "W1002", NULL, NULL, false, T("15:10:00"));
    eval_at(T("15:10:00"), 8);
    json_t *out = NULL;
    eval_at(T("15:20:00"), 9);
    assert_int_equal(alerts_ack(al, "R10:LH-00:RV2", "admin", "已处理", NULL, &out), 200);
    json_decref(out);
    eval_at(T("16:00:00"), 10);
    expect_alert("R10:LH-00:RV2", "firing", "P3");
    a = get("R10:LH-00:RV2");
    assert_int_equal(iget(a, "escalation_level"), 0);
    assert_null(json_object_get(a, "escalation"));
    json_decref(a);
    teardown();
}

/* ---------------------------------------------------------------- on duty (值班) */

/* LH-00: 王敏 (值班长) all day and 赵六 09:00-10:00; the city level: 市值班员. R1 escalates
 * after 30 working minutes: the ticket issued at 09:00 fires R1 at 09:30:01 (P3), the city
 * level is due at 10:00:01. */
static void test_on_duty(void **unused)
{
    (void)unused;
    build_cfg();
    static cfg_duty duty[] = {
        {.hall = 0, .id = "D1", .name = "王敏", .role = "值班长", .phone = "13800001111"},
        {.hall = 0, .id = "D2", .name = "赵六", .hours = {540, 600}},
        {.hall = 1, .id = "D3", .name = "钱七"},
        {.hall = CFG_DUTY_CITY, .id = "C1", .name = "市值班员"},
        {.hall = CFG_DUTY_LEADER, .id = "L1", .name = "分管领导"},
    };
    static cfg_esc_policy pol[] = {{.rule = CFG_R1, .unit = CFG_ESC_MINUTES, .amount = 30}};
    cfg.alerts.duty = duty;
    cfg.alerts.nduty = 5;
    cfg.alerts.esc = pol;
    cfg.alerts.nesc = 1;
    setup_at(T("09:00:00"));
    issue(0, "A001", 0, T("09:00:00"));
    eval_at(T("09:31:00"), 0);
    expect_alert("R1:LH-00:A", "firing", "P3");
    json_t *a = get("R1:LH-00:A"); /* a view with names */
    assert_int_equal(json_array_size(json_object_get(a, "on_duty")), 2);
    assert_string_equal(sget(a, "on_duty.0.level"), "hall");
    assert_string_equal(sget(a, "on_duty.0.name"), "王敏");
    assert_string_equal(sget(a, "on_duty.0.role"), "值班长");
    assert_string_equal(sget(a, "on_duty.0.phone"), "13800001111");
    assert_string_equal(sget(a, "on_duty.1.id"), "D2");
    json_decref(a);
    a = alerts_get(al, "R1:LH-00:A", NULL, false); /* a wall: ids and roles only */
    assert_string_equal(sget(a, "on_duty.0.id"), "D1");
    assert_string_equal(sget(a, "on_duty.0.role"), "值班长");
    assert_null(sget(a, "on_duty.0.name"));
    assert_null(sget(a, "on_duty.0.phone"));
    json_decref(a);
    /* 10:01: 赵六's hour is over; escalated to the city, whose duty officer joins */
    eval_at(T("10:01:00"), 1);
    a = get("R1:LH-00:A");
    assert_int_equal(iget(a, "escalation_level"), 1);
    assert_int_equal(json_array_size(json_object_get(a, "on_duty")), 2);
    assert_string_equal(sget(a, "on_duty.0.id"), "D1");
    assert_string_equal(sget(a, "on_duty.1.level"), "city");
    assert_string_equal(sget(a, "on_duty.1.name"), "市值班员");
    json_decref(a);
    /* the acknowledgement records who */
    json_t *out = NULL;
    assert_int_equal(alerts_ack(al, "R1:LH-00:A", "王敏", "已增开窗口", NULL, &out), 200);
    assert_string_equal(sget(out, "ack.by"), "王敏");
    json_decref(out);
    teardown();
}

/* ---------------------------------------------------------------- routing */

/* Root -> am (Alertmanager); LH-01's alerts -> ding (DingTalk, quiet 10:00-11:00). Group wait
 * 10 s, repeat 1 h (real time). Tickets wait at both halls from 09:00: R1 P3 at 09:30:01, P2 at
 * 10:00:01 (inside ding's quiet hours: held until 11:00). */
static void test_routing(void **unused)
{
    (void)unused;
    build_cfg();
    static cfg_receiver rxs[] = {
        {.name = "am", .url = "http://am.test/", .type = CFG_RX_ALERTMANAGER},
        {.name = "ding",
         .url = "http://ding.test/",
         .type = CFG_RX_DINGTALK,
         .quiet_from = 600,
         .quiet_to = 660},
    };
    static cfg_route routes[] = {
        {.parent = -1,
         .receiver = 0,
         .m_hall = -1,
         .m_rule = -1,
         .m_severity = -1,
         .m_level = -1,
         .group_by = CFG_GB_HALL,
         .group_wait_s = 10,
         .repeat_s = 3600},
        {.parent = 0,
         .receiver = 1,
         .m_hall = 1,
         .m_rule = -1,
         .m_severity = -1,
         .m_level = -1,
         .group_by = CFG_GB_HALL,
         .group_wait_s = 10,
         .repeat_s = 3600},
    };
    cfg.alerts.receivers = rxs;
    cfg.alerts.nreceivers = 2;
    cfg.alerts.routes = routes;
    cfg.alerts.nroutes = 2;
    setup_at(T("09:00:00"));
    issue(0, "A001", 0, T("09:00:00"));
    issue(1, "A001", 0, T("09:00:00"));
    eval_at(T("09:31:00"), 0);
    expect_alert("R1:LH-00:A", "firing", "P3");
    expect_alert("R1:LH-01:A", "firing", "P3");
    eval_at(T("09:31:05"), 5); /* inside the group wait */
    assert_int_equal(rows_for("http://am.test/", NULL), 0);
    eval_at(T("09:31:10"), 10);
    json_t *p = NULL;
    assert_int_equal(rows_for("http://am.test/", &p), 1);
    assert_string_equal(sget(p, "receiver"), "am");
    assert_int_equal(json_array_size(json_object_get(p, "alerts")), 1);
    assert_string_equal(sget(p, "alerts.0.labels.hall"), "LH-00");
    json_decref(p);
    assert_int_equal(rows_for("http://ding.test/", &p), 1);
    assert_string_equal(sget(p, "msgtype"), "markdown");
    assert_non_null(strstr(sget(p, "markdown.text"), "告警编号：`R1:LH-01:A`"));
    assert_non_null(strstr(sget(p, "markdown.text"), "大洋街道"));
    json_decref(p);
    assert_int_equal(rows_for("http://rx.test/hook", NULL), 2); /* webhooks: still everything */
    assert_non_null(strstr(history("R1:LH-01:A"), "routed"));
    /* 10:00:01: P2 at both; am is told after the wait, ding holds it (quiet hours) */
    eval_at(T("10:00:01"), 100);
    eval_at(T("10:00:11"), 110);
    assert_int_equal(rows_for("http://am.test/", &p), 2);
    assert_string_equal(sget(p, "alerts.0.labels.severity"), "P2");
    json_decref(p);
    assert_int_equal(rows_for("http://ding.test/", NULL), 1);
    eval_at(T("10:59:59"), 3500);
    assert_int_equal(rows_for("http://ding.test/", NULL), 1);
    /* 11:00: quiet hours over, the held change goes out */
    eval_at(T("11:00:00"), 3501);
    assert_int_equal(rows_for("http://ding.test/", &p), 2);
    assert_non_null(strstr(sget(p, "markdown.text"), "[P2] 单号等候超时"));
    json_decref(p);
    /* repeat_interval (1 h real since am's last send at 110 s): the firing group again */
    eval_at(T("11:01:00"), 3709);
    assert_int_equal(rows_for("http://am.test/", NULL), 2);
    eval_at(T("11:01:01"), 3710);
    assert_int_equal(rows_for("http://am.test/", NULL), 3);
    teardown();
}

int main(void)
{
    if (cwt_set_timezone("Asia/Shanghai") < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r1_lifecycle),
        cmocka_unit_test(test_r3_for_and_cancel),
        cmocka_unit_test(test_window_rules),
        cmocka_unit_test(test_hours_silence_inhibit),
        cmocka_unit_test(test_review_rules),
        cmocka_unit_test(test_r14_cameras),
        cmocka_unit_test(test_notify_and_silence),
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_hall_colour_now),
        cmocka_unit_test(test_escalation),
        cmocka_unit_test(test_on_duty),
        cmocka_unit_test(test_routing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
