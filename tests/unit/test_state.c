/* test_state: the hub's live state and KPIs (server/state*.c) over a scripted business day
 * whose every figure was worked out by hand (the arithmetic is in the comments).
 *
 * City: Asia/Shanghai, Mon-Fri 09:00-17:00 with lunch 12:00-13:30, weekends closed.
 * Hall 0 LH-00: biz A (SLA 1800 s) and B (SLA 1200 s); windows A01 [A], A02 [A,B], B01 [B];
 *   staffing plan Mon-Fri 09:00-12:00 = 2 windows (else all 3); cameras CAM-00-1 (window,
 *   URLs in the config) and CAM-00-2 (waiting, no URLs); staff W1001 张三, W1002 李四, W1003 王五.
 * Hall 1 LH-01: biz A (SLA 1800 s); window A01 [A]; camera CAM-01-1; no staff list.
 * The day is Monday 2026-11-23.
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
#include "cwtime.h"
#include "event.h"
#include "state.h"
#include "state_internal.h"

/* ---------------------------------------------------------------- config by hand */

static cfg_biz biz0[] = {
    {.id = "A", .name = "社保", .category = "social-security", .sla_s = 1800},
    {.id = "B", .name = "税务", .category = "tax", .sla_s = 1200},
};
static int w_a01_biz[] = {0}, w_a02_biz[] = {0, 1}, w_b01_biz[] = {1};
static int w_a01_cam[] = {0};
static cfg_window win0[] = {
    {.id = "A01", .biz = w_a01_biz, .nbiz = 1, .cameras = w_a01_cam, .ncameras = 1},
    {.id = "A02", .biz = w_a02_biz, .nbiz = 2},
    {.id = "B01", .biz = w_b01_biz, .nbiz = 1},
};
static cfg_camera cam0[] = {
    {.id = "CAM-00-1",
     .name = "一号窗口",
     .area = CFG_AREA_WINDOW,
     .main_url = "rtsp://cfg/main1",
     .sub_url = "rtsp://cfg/sub1"},
    {.id = "CAM-00-2", .name = "等候区", .area = CFG_AREA_WAITING},
};
static cfg_staff staff0[] = {{.id = "W1001", .name = "张三"},
                             {.id = "W1002", .name = "李四"},
                             {.id = "W1003", .name = "王五"}};
static cfg_staffing plan0[] = {{.days_mask = 0x1f, .from_min = 540, .to_min = 720, .windows = 2}};

static cfg_biz biz1[] = {{.id = "A", .name = "社保", .category = "social-security", .sla_s = 1800}};
static int w1_biz[] = {0};
static cfg_window win1[] = {{.id = "A01", .biz = w1_biz, .nbiz = 1}};
static cfg_camera cam1[] = {{.id = "CAM-01-1", .name = "大厅", .area = CFG_AREA_ENTRANCE}};

static cfg_hall halls[2];
static int holidays[] = {20261201}; /* a made-up holiday, for the deadline calendar test */
static cfg_t cfg;

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
                          .name = "临海市行政服务中心",
                          .level = CFG_LEVEL_CITY,
                          .parent_index = -1,
                          .hours = hours,
                          .biz = biz0,
                          .nbiz = 2,
                          .windows = win0,
                          .nwindows = 3,
                          .cameras = cam0,
                          .ncameras = 2,
                          .staffing = plan0,
                          .nstaffing = 1,
                          .staff = staff0,
                          .nstaff = 3};
    halls[1] = (cfg_hall){.id = "LH-01",
                          .name = "大洋街道便民服务中心",
                          .level = CFG_LEVEL_TOWN,
                          .parent = "LH-00",
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
    cfg.case_contact_days = 1;
    cfg.case_rectify_days = 5;
}

/* ---------------------------------------------------------------- events by hand */

static int64_t seqno;
static int64_t nsent; /* events handed to state_apply that are not late */

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

/* Every event a scenario sends leaves the state's invariants intact (state_check.c). */
static void assert_invariants(const state_t *st)
{
    char why[300] = "";
    if (state_check(st, why, sizeof why) != 0) fail_msg("%s", why);
}

static void send(state_t *st, const ev_event *e)
{
    state_apply(st, e, e->at_ms);
    nsent++;
    assert_invariants(st);
}

static void issue(state_t *st, int hall, const char *ticket, int biz, const char *hms)
{
    ev_event e = mk(EV_TICKET_ISSUED, hall, T(hms));
    e.ticket = ticket;
    e.biz = biz;
    e.channel = EV_CH_KIOSK;
    e.priority = EV_PRIO_NORMAL;
    send(st, &e);
}

/* called / recalled / started / finished / suspended / resumed / voided */
static void tk(state_t *st, ev_type type, int hall, const char *ticket, int window,
               const char *staff, const char *hms)
{
    ev_event e = mk(type, hall, T(hms));
    e.ticket = ticket;
    e.window = window;
    e.staff = staff;
    if (type == EV_TICKET_FINISHED) e.result = EV_RES_DONE;
    send(st, &e);
}

static void noshow(state_t *st, int hall, const char *ticket, int window, int action,
                   const char *hms)
{
    ev_event e = mk(EV_TICKET_NO_SHOW, hall, T(hms));
    e.ticket = ticket;
    e.window = window;
    e.action = action;
    send(st, &e);
}

static void transfer(state_t *st, int hall, const char *ticket, int window, int to_biz,
                     const char *hms)
{
    ev_event e = mk(EV_TICKET_TRANSFERRED, hall, T(hms));
    e.ticket = ticket;
    e.window = window;
    e.to_biz = to_biz;
    send(st, &e);
}

static void winev(state_t *st, ev_type type, int hall, int window, const char *staff, int reason,
                  const char *hms)
{
    ev_event e = mk(type, hall, T(hms));
    e.window = window;
    e.staff = staff;
    e.pause_reason = reason;
    send(st, &e);
}

static void review(state_t *st, int hall, const char *id, int level, int channel, int window,
                   const char *staff, const char *comment, bool real_name, int64_t at)
{
    ev_event e = mk(EV_REVIEW_SUBMITTED, hall, at);
    e.review = id;
    e.level = level;
    e.channel = channel;
    e.window = window;
    e.staff = staff;
    e.comment = comment;
    e.real_name = real_name;
    send(st, &e);
}

static void rcase(state_t *st, int hall, const char *id, int state, int64_t at)
{
    ev_event e = mk(EV_REVIEW_CASE, hall, at);
    e.review = id;
    e.case_state = state;
    send(st, &e);
}

static void camev(state_t *st, int hall, int camera, int status, const char *main_url,
                  const char *hms)
{
    ev_event e = mk(EV_CAMERA_STATUS, hall, T(hms));
    e.camera = camera;
    e.cam_status = status;
    e.main_url = main_url;
    send(st, &e);
}

/* ---------------------------------------------------------------- JSON checks */

static void expect_json(json_t *got, const char *want_text)
{
    json_error_t err;
    json_t *want = json_loads(want_text, 0, &err);
    if (!want) fail_msg("bad expected JSON: %s at %d", err.text, err.position);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static json_int_t kint(json_t *kpi, const char *key)
{
    json_t *v = json_object_get(kpi, key);
    if (!json_is_integer(v)) fail_msg("kpi %s is not an integer", key);
    return json_integer_value(v);
}

static double kreal(json_t *kpi, const char *key)
{
    json_t *v = json_object_get(kpi, key);
    if (!json_is_real(v)) fail_msg("kpi %s is not a real", key);
    return json_real_value(v);
}

static void check_hall_kpi_int(state_t *st, int hall, const char *key, json_int_t want)
{
    json_t *k = state_hall_kpi(st, hall);
    assert_int_equal(kint(k, key), want);
    json_decref(k);
}

static void check_hall_kpi_real(state_t *st, int hall, const char *key, double want)
{
    json_t *k = state_hall_kpi(st, hall);
    assert_true(kreal(k, key) == want);
    json_decref(k);
}

static const char *walk(json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(json_object_get(json_object_get(doc, a), b), c);
    return json_string_value(v);
}

/* ---------------------------------------------------------------- the scripted Monday */

enum { A = 0, B = 1 };
enum { A01 = 0, A02 = 1, B01 = 2 };

/* Runs Monday 2026-11-23 up to 10:36 (hall 0), then hall 1's events, with checks on the way.
 * Business time ends at 10:36:00 (the latest `at`). */
static void run_monday(state_t *st)
{
    winev(st, EV_WINDOW_OPENED, 0, A01, "W1001", -1, "09:00:00");
    winev(st, EV_WINDOW_OPENED, 0, A02, "W1002", -1, "09:00:00");
    issue(st, 0, "A001", A, "09:00:00");
    issue(st, 0, "A002", A, "09:01:00");
    issue(st, 0, "A003", A, "09:02:00");
    issue(st, 0, "B001", B, "09:03:00");
    issue(st, 0, "A004", A, "09:04:00");
    issue(st, 0, "B002", B, "09:05:00");
    issue(st, 0, "A005", A, "09:06:00");

    tk(st, EV_TICKET_CALLED, 0, "A001", A01, "W1001", "09:10:00"); /* W1 = 09:10-09:00 = 600 s */
    tk(st, EV_TICKET_STARTED, 0, "A001", A01, NULL, "09:11:00");
    tk(st, EV_TICKET_CALLED, 0, "A002", A02, "W1002", "09:12:00"); /* W2 = 09:12-09:01 = 660 s */
    tk(st, EV_TICKET_RECALLED, 0, "A002", A02, NULL, "09:12:30");
    /* the recall changes no W: avg = (600 + 660) / 2 = 630 */
    check_hall_kpi_int(st, 0, "avg_wait_s", 630);
    noshow(st, 0, "A002", A02, EV_NOSHOW_SKIP, "09:13:00");
    tk(st, EV_TICKET_CALLED, 0, "A003", A02, NULL, "09:14:00"); /* W3 = 09:14-09:02 = 720 s */
    noshow(st, 0, "A003", A02, EV_NOSHOW_RECYCLE, "09:15:00");
    /* at 09:15: avg = (600 + 660 + 720) / 3 = 660; no-shows 2; waiting A003 B001 A004 B002
     * A005 = 5; the recycled A003 keeps its entry 09:02, so the longest wait is
     * 09:15 - 09:02 = 780 s */
    check_hall_kpi_int(st, 0, "avg_wait_s", 660);
    check_hall_kpi_int(st, 0, "no_show", 2);
    check_hall_kpi_int(st, 0, "waiting", 5);
    check_hall_kpi_int(st, 0, "max_wait_live_s", 780);

    tk(st, EV_TICKET_FINISHED, 0, "A001", A01, NULL, "09:20:00"); /* S = 09:20-09:11 = 540 */
    winev(st, EV_WINDOW_OPENED, 0, B01, "W1003", -1, "09:20:00");
    tk(st, EV_TICKET_CALLED, 0, "B001", B01, "W1003", "09:21:00"); /* W4 (B) = 18 min = 1080 */
    transfer(st, 0, "B001", B01, A, "09:25:00");                   /* waits in A from 09:25 */
    issue(st, 0, "A006", A, "09:30:00");
    issue(st, 0, "B003", B, "09:35:00");
    tk(st, EV_TICKET_CALLED, 0, "A003", A02, NULL, "09:40:00");
    /* A003's recall-call replaces its W: 09:40 - 09:02 = 2280 s (> 1800, not in SLA).
     * Visits: 600, 660, 2280, 1080 -> avg = 4620 / 4 = 1155.
     * sl_60m over (08:40, 09:40]: biz A calls 09:10 ok, 09:12 ok, 09:40 late (the replaced
     * 09:14 record no longer counts) -> 2/3 = 0.6667; with B's 09:21 ok: 3/4 = 0.75 */
    check_hall_kpi_int(st, 0, "avg_wait_s", 1155);
    check_hall_kpi_real(st, 0, "sl_60m", 0.75);
    {
        json_t *d = state_hall(st, 0, NULL);
        assert_true(json_real_value(json_object_get(json_object_get(json_object_get(d, "biz"), "A"),
                                                    "sl_60m")) == 0.6667);
        json_decref(d);
    }
    tk(st, EV_TICKET_STARTED, 0, "A003", A02, NULL, "09:41:00");
    tk(st, EV_TICKET_CALLED, 0, "B001", A01, NULL, "09:45:00"); /* W5 (A) = 09:45-09:25 = 1200 */
    tk(st, EV_TICKET_SUSPENDED, 0, "A003", A02, NULL, "09:50:00");
    check_hall_kpi_int(st, 0, "suspended", 1);
    check_hall_kpi_int(st, 0, "serving", 1); /* B001 at A01 */
    {
        json_t *d = state_hall(st, 0, NULL);
        assert_string_equal(walk(d, "windows", "A02", "status"), "open");
        json_decref(d);
    }
    tk(st, EV_TICKET_RESUMED, 0, "A003", A02, NULL, "09:55:00");
    tk(st, EV_TICKET_FINISHED, 0, "A003", A02, NULL, "10:00:00"); /* S = 10:00-09:41 = 1140 */
    tk(st, EV_TICKET_FINISHED, 0, "B001", A01, NULL, "10:02:00"); /* S = 10:02-09:45 = 1020 */
    tk(st, EV_TICKET_CALLED, 0, "A004", A01, NULL, "10:03:00");   /* W6 = 59 min = 3540 */
    tk(st, EV_TICKET_VOIDED, 0, "A005", -1, NULL, "10:05:00");
    tk(st, EV_TICKET_CALLED, 0, "B002", B01, NULL, "10:06:00"); /* W7 (B) = 61 min = 3660 */
    tk(st, EV_TICKET_STARTED, 0, "B002", B01, NULL, "10:07:00");
    /* never issued: biz = A02's first (A), no W recorded */
    tk(st, EV_TICKET_CALLED, 0, "X009", A02, NULL, "10:08:00");
    tk(st, EV_TICKET_FINISHED, 0, "X009", A02, NULL, "10:10:00"); /* S = 120 */
    winev(st, EV_WINDOW_PAUSED, 0, B01, NULL, EV_PAUSE_BREAK, "10:12:00");
    winev(st, EV_WINDOW_RESUMED, 0, B01, NULL, -1, "10:14:00");   /* back to serving B002 */
    tk(st, EV_TICKET_FINISHED, 0, "B002", B01, NULL, "10:15:00"); /* S = 10:15-10:07 = 480 */
    winev(st, EV_WINDOW_PAUSED, 0, A02, NULL, EV_PAUSE_MEETING, "10:16:00");
    winev(st, EV_WINDOW_CLOSED, 0, B01, NULL, -1, "10:17:00");

    review(st, 0, "R1", 5, EV_RCH_EVALUATOR, A01, "W1001", "很好，电话13812345678", false,
           T("10:20:00"));
    review(st, 0, "R2", 4, EV_RCH_QRCODE, A02, NULL, NULL, false, T("10:21:00"));
    review(st, 0, "R3", 3, EV_RCH_WEB, -1, NULL, NULL, false, T("10:22:00"));
    review(st, 0, "R4", 2, EV_RCH_APP, A01, "W1001", NULL, true, T("10:23:00"));
    review(st, 0, "R5", 1, EV_RCH_EVALUATOR, B01, NULL, "态度恶劣 身份证330102199001011234", false,
           T("10:24:00"));
    review(st, 0, "R5", 1, EV_RCH_EVALUATOR, B01, NULL, "resent", false, T("10:25:00"));
    rcase(st, 0, "R5", EV_CASE_APPEAL_UPHELD, T("10:30:00"));
    camev(st, 0, 0, EV_CAM_ONLINE, "rtsp://gw/main1", "10:31:00");
    camev(st, 0, 1, EV_CAM_OFFLINE, NULL, "10:32:00");
    tk(st, EV_TICKET_CALLED, 0, "A001", A01, NULL, "10:35:00"); /* finished: bad, ignored */
    issue(st, 0, "A002", A, "10:36:00");                        /* re-issue: bad, ignored */

    winev(st, EV_WINDOW_OPENED, 1, 0, "W2001", -1, "09:05:00");
    issue(st, 1, "A001", 0, "09:10:00");
    tk(st, EV_TICKET_CALLED, 1, "A001", 0, "W2001", "09:50:00"); /* W = 40 min = 2400 > 1800 */
    issue(st, 1, "A002", 0, "10:00:00");
    review(st, 1, "H1R1", 4, EV_RCH_SMS, -1, NULL, NULL, false, T("10:00:00"));
}

static state_t *monday(void)
{
    build_cfg();
    seqno = nsent = 0;
    state_t *st = state_create(&cfg, T("08:00:00"));
    assert_non_null(st);
    run_monday(st);
    state_advance(st, T("10:39:30"));
    return st;
}

/* Hall 0 at 10:39:30, in full.
 * Tickets: A001 fin, A002 no-show, A003 fin, B001 fin (in A), A004 serving, B002 fin,
 *   A005 voided, A006 waiting (A, 09:30), B003 waiting (B, 09:35), X009 fin (unknown).
 * issued 9 (A: A001-A006 = 6, B: B001-B003 = 3); no_show_rate 2/9 = 0.2222.
 * W: A 600, 660, 2280, 1200, 3540 (sum 8280 / 5 = 1656); B 1080, 3660 (4740 / 2 = 2370);
 *   all 13020 / 7 = 1860.
 * Live waits: A006 10:39:30-09:30 = 4170 s, B003 10:39:30-09:35 = 3870 s; both over SLA -> 2.
 * sl_60m over (09:39:30, 10:39:30]: A 09:40 no, 09:45 ok, 10:03 no -> 1/3 = 0.3333;
 *   B 10:06 no -> 0/1 = 0.0; hall 1/4 = 0.25.
 * S: 540, 1140, 1020, 120, 480 -> 3300 / 5 = 660.
 * ewt A: 1 waiting x mean S of A's finishes in the hour (1140 + 1020 + 120) / 3 = 760
 *   / 1 staffed window for A (A01; A02 is paused) = 760;
 *   ewt B: 1 x 480 / max(1, 0 staffed) = 480.
 * Windows: A01 serving A004 since 10:03 (calls A001, B001, A004 = 3; served 2, S (540+1020)/2
 *   = 780); A02 paused since 10:16 (calls A002, A003 twice, X009 = 4; no-shows 2; served 2,
 *   S (1140+120)/2 = 630); B01 closed since 10:17 (calls 2, served 1, S 480).
 *   staffed 1, serving 1, paused 1, planned 2 (Mon 09:00-12:00 plan).
 * Reviews: R1..R4 count (R5 upheld): good 2/4 = 0.5, satisfied 3/4 = 0.75, bad 1,
 *   score (5+4+3+2)/4 x 20 = 70.0. Cases: R4 open, R5 closed by the upheld appeal.
 * Cameras: CAM-00-1 online, CAM-00-2 offline -> 1 of 2. */
static const char *const HALL0_KPI =
    "{\"issued\":9,\"waiting\":2,\"serving\":1,\"suspended\":0,\"finished\":5,\"no_show\":2,"
    "\"no_show_rate\":0.2222,\"avg_wait_s\":1860,\"max_wait_live_s\":4170,"
    "\"over_sla_waiting\":2,\"sl_60m\":0.25,\"avg_service_s\":660,\"windows_open\":1,"
    "\"windows_serving\":1,\"windows_paused\":1,\"windows_planned\":2,\"reviews\":4,"
    "\"good_rate\":0.5,\"satisfied_rate\":0.75,\"bad_reviews\":1,\"score\":70.0,"
    "\"bad_cases_open\":1,\"bad_cases_overdue\":0,\"cameras_online\":1,\"cameras_total\":2}";

/* Hall 1 at 10:39:30: issued 2, A001 serving (W 2400, not in SLA), A002 waiting since 10:00
 * (2370 s > 1800 -> over SLA 1); sl 0/1 = 0.0; no finish; one review (4): rates 1.0,
 * score 80.0; window A01 serving; plan: all 1 window. */
static const char *const HALL1_KPI =
    "{\"issued\":2,\"waiting\":1,\"serving\":1,\"suspended\":0,\"finished\":0,\"no_show\":0,"
    "\"no_show_rate\":0.0,\"avg_wait_s\":2400,\"max_wait_live_s\":2370,"
    "\"over_sla_waiting\":1,\"sl_60m\":0.0,\"windows_open\":1,"
    "\"windows_serving\":1,\"windows_paused\":0,\"windows_planned\":1,\"reviews\":1,"
    "\"good_rate\":1.0,\"satisfied_rate\":1.0,\"bad_reviews\":0,\"score\":80.0,"
    "\"bad_cases_open\":0,\"bad_cases_overdue\":0,\"cameras_online\":0,\"cameras_total\":1}";

static void test_monday_hall(void **unused)
{
    (void)unused;
    state_t *st = monday();
    json_t *k = state_hall_kpi(st, 0);
    expect_json(k, HALL0_KPI);
    json_decref(k);
    k = state_hall_kpi(st, 1);
    expect_json(k, HALL1_KPI);
    json_decref(k);

    json_t *d = state_hall(st, 0, NULL);
    expect_json(json_object_get(d, "biz"),
                "{\"A\":{\"name\":\"社保\",\"category\":\"social-security\",\"waiting\":1,"
                "\"max_wait_live_s\":4170,\"ewt_s\":760,\"sl_60m\":0.3333,\"sla_s\":1800,"
                "\"avg_wait_s\":1656,\"issued\":6},"
                "\"B\":{\"name\":\"税务\",\"category\":\"tax\",\"waiting\":1,"
                "\"max_wait_live_s\":3870,\"ewt_s\":480,\"sl_60m\":0.0,\"sla_s\":1200,"
                "\"avg_wait_s\":2370,\"issued\":3}}");
    expect_json(json_object_get(d, "windows"),
                "{\"A01\":{\"status\":\"serving\",\"staff\":\"W1001\",\"staff_name\":\"张三\","
                "\"ticket\":\"A004\",\"since\":\"2026-11-23T10:03:00.000+08:00\",\"biz\":[\"A\"],"
                "\"kpi\":{\"served\":2,\"avg_service_s\":780,\"no_show\":0,\"calls\":3}},"
                "\"A02\":{\"status\":\"paused\",\"staff\":\"W1002\",\"staff_name\":\"李四\","
                "\"since\":\"2026-11-23T10:16:00.000+08:00\",\"reason\":\"meeting\","
                "\"biz\":[\"A\",\"B\"],"
                "\"kpi\":{\"served\":2,\"avg_service_s\":630,\"no_show\":2,\"calls\":4}},"
                "\"B01\":{\"status\":\"closed\",\"since\":\"2026-11-23T10:17:00.000+08:00\","
                "\"biz\":[\"B\"],"
                "\"kpi\":{\"served\":1,\"avg_service_s\":480,\"no_show\":0,\"calls\":2}}}");
    expect_json(json_object_get(d, "cameras"),
                "{\"CAM-00-1\":{\"name\":\"一号窗口\",\"area\":\"window\",\"status\":\"online\","
                "\"since\":\"2026-11-23T10:31:00.000+08:00\",\"main\":\"rtsp://gw/main1\","
                "\"sub\":\"rtsp://cfg/sub1\"},"
                "\"CAM-00-2\":{\"name\":\"等候区\",\"area\":\"waiting\",\"status\":\"offline\","
                "\"since\":\"2026-11-23T10:32:00.000+08:00\"}}");
    /* newest first; comments masked (phone 138****5678, ID card 3301**********1234) */
    expect_json(json_object_get(d, "reviews"),
                "[{\"id\":\"R5\",\"level\":1,\"at\":\"2026-11-23T10:24:00.000+08:00\","
                "\"channel\":\"evaluator\",\"window\":\"B01\","
                "\"comment\":\"态度恶劣 身份证3301**********1234\",\"real_name\":false,"
                "\"upheld\":true},"
                "{\"id\":\"R4\",\"level\":2,\"at\":\"2026-11-23T10:23:00.000+08:00\","
                "\"channel\":\"app\",\"window\":\"A01\",\"staff\":\"W1001\",\"real_name\":true},"
                "{\"id\":\"R3\",\"level\":3,\"at\":\"2026-11-23T10:22:00.000+08:00\","
                "\"channel\":\"web\",\"real_name\":false},"
                "{\"id\":\"R2\",\"level\":4,\"at\":\"2026-11-23T10:21:00.000+08:00\","
                "\"channel\":\"qrcode\",\"window\":\"A02\",\"real_name\":false},"
                "{\"id\":\"R1\",\"level\":5,\"at\":\"2026-11-23T10:20:00.000+08:00\","
                "\"channel\":\"evaluator\",\"window\":\"A01\",\"staff\":\"W1001\","
                "\"comment\":\"很好，电话138****5678\",\"real_name\":false}]");
    assert_string_equal(json_string_value(json_object_get(d, "id")), "LH-00");
    assert_string_equal(json_string_value(json_object_get(d, "name")), "临海市行政服务中心");
    assert_string_equal(json_string_value(json_object_get(d, "day")), "2026-11-23");
    assert_string_equal(json_string_value(json_object_get(d, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(d, "last_event_at")),
                        "2026-11-23T10:36:00.000+08:00");
    expect_json(json_object_get(d, "kpi"), HALL0_KPI);
    json_decref(d);

    assert_int_equal(state_biz_ewt(st, 0, A), 760);
    assert_int_equal(state_biz_ewt(st, 0, B), 480);
    assert_int_equal(state_biz_ewt(st, 0, 7), -1);

    /* 56 events sent; X009 is the one unknown ticket; the re-call of finished A001 and the
     * re-issue of A002 are the bad transitions; tickets: 10 in hall 0 + 2 in hall 1 */
    state_stats s;
    state_get_stats(st, &s);
    assert_int_equal(s.applied, nsent);
    assert_int_equal(nsent, 56);
    assert_int_equal(s.unknown_tickets, 1);
    assert_int_equal(s.bad_transitions, 2);
    assert_int_equal(s.late_events, 0);
    assert_int_equal(s.tickets, 12);
    assert_int_equal(state_day(st), 20261123);
    assert_int_equal(state_now(st), T("10:39:30"));
    state_destroy(st);
}

/* City over both halls at 10:39:30:
 * issued 9+2 = 11, waiting 2+1 = 3, serving 1+1 = 2, finished 5, no-shows 2 -> 2/11 = 0.1818;
 * W: (13020 + 2400) / (7 + 1) = 1927.5 -> 1928 (not the mean of hall means);
 * max wait max(4170, 2370) = 4170; over SLA 2+1 = 3; sl pooled (1+0)/(4+1) = 0.2;
 * S 3300/5 = 660; windows 1+1 staffed, 1+1 serving, 1+0 paused, 2+1 planned;
 * reviews 4+1 = 5: good (2+1)/5 = 0.6, satisfied (3+1)/5 = 0.8, bad 1,
 * score (14+4)/5 x 20 = 72.0; cases 1 open, 0 overdue; cameras 1 of 2+1 = 3. */
static void test_monday_city(void **unused)
{
    (void)unused;
    state_t *st = monday();
    json_t *c = state_city(st, NULL);
    expect_json(json_object_get(c, "kpi"),
                "{\"issued\":11,\"waiting\":3,\"serving\":2,\"suspended\":0,\"finished\":5,"
                "\"no_show\":2,\"no_show_rate\":0.1818,\"avg_wait_s\":1928,"
                "\"max_wait_live_s\":4170,\"over_sla_waiting\":3,\"sl_60m\":0.2,"
                "\"avg_service_s\":660,\"windows_open\":2,\"windows_serving\":2,"
                "\"windows_paused\":1,\"windows_planned\":3,\"reviews\":5,\"good_rate\":0.6,"
                "\"satisfied_rate\":0.8,\"bad_reviews\":1,\"score\":72.0,\"bad_cases_open\":1,"
                "\"bad_cases_overdue\":0,\"cameras_online\":1,\"cameras_total\":3}");
    assert_string_equal(json_string_value(json_object_get(c, "day")), "2026-11-23");
    json_t *h0 = json_object_get(json_object_get(c, "halls"), "LH-00");
    json_t *h1 = json_object_get(json_object_get(c, "halls"), "LH-01");
    assert_string_equal(json_string_value(json_object_get(h0, "name")), "临海市行政服务中心");
    assert_string_equal(json_string_value(json_object_get(h0, "level")), "city");
    assert_string_equal(json_string_value(json_object_get(h0, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(h0, "last_event_at")),
                        "2026-11-23T10:36:00.000+08:00");
    expect_json(json_object_get(h0, "kpi"), HALL0_KPI);
    assert_string_equal(json_string_value(json_object_get(h1, "level")), "town");
    assert_string_equal(json_string_value(json_object_get(h1, "last_event_at")),
                        "2026-11-23T10:00:00.000+08:00");
    expect_json(json_object_get(h1, "kpi"), HALL1_KPI);
    assert_int_equal(json_object_size(json_object_get(c, "halls")), 2);
    json_decref(c);
    state_destroy(st);
}

static void test_views(void **unused)
{
    (void)unused;
    state_t *st = monday();

    /* a hall account for LH-01 only: the city lists and sums only LH-01 */
    bool only1[2] = {false, true};
    state_view hv = {.halls = only1, .names = true, .urls = true};
    json_t *c = state_city(st, &hv);
    expect_json(json_object_get(c, "kpi"), HALL1_KPI);
    assert_int_equal(json_object_size(json_object_get(c, "halls")), 1);
    assert_non_null(json_object_get(json_object_get(c, "halls"), "LH-01"));
    json_decref(c);

    /* a wall: staff ids but no names, no comments, no URLs */
    state_view wall = {.halls = NULL, .names = false, .urls = false};
    json_t *d = state_hall(st, 0, &wall);
    json_t *a01 = json_object_get(json_object_get(d, "windows"), "A01");
    assert_string_equal(json_string_value(json_object_get(a01, "staff")), "W1001");
    assert_null(json_object_get(a01, "staff_name"));
    json_t *r;
    size_t i;
    json_array_foreach(json_object_get(d, "reviews"), i, r)
        assert_null(json_object_get(r, "comment"));
    assert_int_equal(json_array_size(json_object_get(d, "reviews")), 5);
    json_t *cam = json_object_get(json_object_get(d, "cameras"), "CAM-00-1");
    assert_null(json_object_get(cam, "main"));
    assert_null(json_object_get(cam, "sub"));
    assert_string_equal(json_string_value(json_object_get(cam, "status")), "online");
    json_decref(d);

    /* names without URLs; W2001 is not in LH-01's staff list: no name */
    state_view city = {.halls = NULL, .names = true, .urls = false};
    d = state_hall(st, 1, &city);
    a01 = json_object_get(json_object_get(d, "windows"), "A01");
    assert_string_equal(json_string_value(json_object_get(a01, "staff")), "W2001");
    assert_null(json_object_get(a01, "staff_name"));
    json_decref(d);
    d = state_hall(st, 0, &city);
    r = json_array_get(json_object_get(d, "reviews"), 4);
    assert_string_equal(json_string_value(json_object_get(r, "comment")), "很好，电话138****5678");
    assert_null(json_object_get(json_object_get(json_object_get(d, "cameras"), "CAM-00-1"), "sub"));
    json_decref(d);
    state_destroy(st);
}

/* Midnight: the 3 open tickets (A006, B003 waiting, A004 serving) are voided and dropped,
 * counts restart, windows close; cameras, the open case and the last reviews stay.
 * R4 (real name, Mon 10:23) must be contacted by the close of the next working day,
 * Tue 2026-11-24 17:00; it is rectified by the 5th working day, Mon 11-30 17:00. */
static void test_rollover_and_cases(void **unused)
{
    (void)unused;
    state_t *st = monday();
    assert_true(state_advance(st, TD("2026-11-24", "00:00:00")));
    assert_int_equal(state_day(st), 20261124);
    state_stats s;
    state_get_stats(st, &s);
    assert_int_equal(s.tickets, 0);

    json_t *d = state_hall(st, 0, NULL);
    /* planned 0 and status closed at 00:00; no ratio or mean without data */
    expect_json(json_object_get(d, "kpi"),
                "{\"issued\":0,\"waiting\":0,\"serving\":0,\"suspended\":0,\"finished\":0,"
                "\"no_show\":0,\"over_sla_waiting\":0,\"windows_open\":0,\"windows_serving\":0,"
                "\"windows_paused\":0,\"windows_planned\":0,\"reviews\":0,\"bad_reviews\":0,"
                "\"bad_cases_open\":1,\"bad_cases_overdue\":0,\"cameras_online\":1,"
                "\"cameras_total\":2}");
    assert_string_equal(json_string_value(json_object_get(d, "status")), "closed");
    assert_string_equal(json_string_value(json_object_get(d, "day")), "2026-11-24");
    json_t *a01 = json_object_get(json_object_get(d, "windows"), "A01");
    expect_json(a01, "{\"status\":\"closed\",\"since\":\"2026-11-24T00:00:00.000+08:00\","
                     "\"biz\":[\"A\"],\"kpi\":{\"served\":0,\"no_show\":0,\"calls\":0}}");
    expect_json(json_object_get(json_object_get(d, "biz"), "A"),
                "{\"name\":\"社保\",\"category\":\"social-security\",\"waiting\":0,\"ewt_s\":0,"
                "\"sla_s\":1800,\"issued\":0}");
    assert_int_equal(json_array_size(json_object_get(d, "reviews")), 5);
    json_decref(d);

    /* an event of Monday is late now */
    issue(st, 0, "A100", A, "11:00:00");
    nsent--;
    state_get_stats(st, &s);
    assert_int_equal(s.late_events, 1);
    check_hall_kpi_int(st, 0, "issued", 0);

    /* today's tickets start afresh: A001 again is a new ticket */
    ev_event e = mk(EV_TICKET_ISSUED, 0, TD("2026-11-24", "09:00:00"));
    e.ticket = "A001";
    e.biz = A;
    send(st, &e);
    check_hall_kpi_int(st, 0, "issued", 1);
    state_get_stats(st, &s);
    assert_int_equal(s.bad_transitions, 2);

    state_advance(st, TD("2026-11-24", "17:00:00"));
    check_hall_kpi_int(st, 0, "bad_cases_overdue", 0); /* at the deadline: not past it */
    assert_true(state_advance(st, TD("2026-11-24", "17:00:01")));
    check_hall_kpi_int(st, 0, "bad_cases_overdue", 1);
    check_hall_kpi_int(st, 0, "bad_cases_open", 1);
    rcase(st, 0, "R4", EV_CASE_CONTACTED, TD("2026-11-24", "17:05:00"));
    check_hall_kpi_int(st, 0, "bad_cases_overdue", 0);
    state_advance(st, TD("2026-11-30", "17:00:01")); /* past the rectify deadline */
    check_hall_kpi_int(st, 0, "bad_cases_overdue", 1);
    rcase(st, 0, "R4", EV_CASE_APPEALED, TD("2026-11-30", "17:10:00"));
    check_hall_kpi_int(st, 0, "bad_cases_open", 1); /* appealed still counts as open */
    rcase(st, 0, "R4", EV_CASE_CLOSED, TD("2026-11-30", "17:20:00"));
    check_hall_kpi_int(st, 0, "bad_cases_open", 0);
    check_hall_kpi_int(st, 0, "bad_cases_overdue", 0);
    state_destroy(st);
}

/* Working-day deadlines with a weekend and a holiday (2026-12-01 in this config):
 * a review on Fri 11-27 -> 1 working day: Mon 11-30 17:00; 5 working days: Mon 30, (Tue 1
 * holiday), Wed 2, Thu 3, Fri 4, (weekend), Mon 7 -> 2026-12-07 17:00. */
static void test_deadline_calendar(void **unused)
{
    (void)unused;
    build_cfg();
    state_t *st = state_create(&cfg, TD("2026-11-27", "08:00:00"));
    int64_t at = TD("2026-11-27", "15:00:00");
    assert_int_equal(state_deadline(st, 0, at, 1), TD("2026-11-30", "17:00:00"));
    assert_int_equal(state_deadline(st, 0, at, 5), TD("2026-12-07", "17:00:00"));
    assert_int_equal(state_deadline(st, 0, at, 0), TD("2026-11-27", "17:00:00"));
    state_destroy(st);
}

static const char *status_at(state_t *st, int hall)
{
    static char buf[16];
    json_t *c = state_city(st, NULL);
    json_t *h = json_object_get(json_object_get(c, "halls"), cfg.halls[hall].id);
    snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(h, "status")));
    json_decref(c);
    return buf;
}

static void test_status_and_closure(void **unused)
{
    (void)unused;
    build_cfg();
    state_t *st = state_create(&cfg, TD("2026-11-24", "08:59:59"));
    assert_string_equal(status_at(st, 0), "closed"); /* before opening */
    state_advance(st, TD("2026-11-24", "09:00:00"));
    assert_string_equal(status_at(st, 0), "ok");
    state_add_closure(st, 0, TD("2026-11-24", "10:00:00"), TD("2026-11-24", "12:00:00"),
                      "power cut");
    assert_true(state_hall_closed(st, 0, TD("2026-11-24", "10:00:00")));
    assert_false(state_hall_closed(st, 0, TD("2026-11-24", "12:00:00")));
    assert_false(state_hall_closed(st, 1, TD("2026-11-24", "10:30:00")));
    state_advance(st, TD("2026-11-24", "10:30:00"));
    assert_string_equal(status_at(st, 0), "closed");
    assert_string_equal(status_at(st, 1), "ok");
    check_hall_kpi_int(st, 0, "windows_planned", 0); /* closed: nobody planned (else 2) */
    check_hall_kpi_int(st, 1, "windows_planned", 1);
    /* a closure ending off the minute flips the status (and the version) at that second */
    state_add_closure(st, 1, TD("2026-11-24", "10:30:10"), TD("2026-11-24", "10:30:20"), NULL);
    state_advance(st, TD("2026-11-24", "10:30:15"));
    assert_string_equal(status_at(st, 1), "closed");
    uint64_t v1 = state_hall_version(st, 1);
    state_advance(st, TD("2026-11-24", "10:30:20"));
    assert_true(state_hall_version(st, 1) > v1);
    assert_string_equal(status_at(st, 1), "ok");
    state_advance(st, TD("2026-11-24", "12:30:00")); /* lunch counts as open */
    assert_string_equal(status_at(st, 0), "ok");
    check_hall_kpi_int(st, 0, "windows_planned", 0); /* nobody is planned over lunch */
    state_advance(st, TD("2026-11-24", "13:30:00"));
    check_hall_kpi_int(st, 0, "windows_planned", 3); /* no plan entry: all windows */
    state_advance(st, TD("2026-11-24", "17:00:00"));
    assert_string_equal(status_at(st, 0), "closed"); /* after closing */
    state_advance(st, TD("2026-11-28", "10:00:00"));
    assert_string_equal(status_at(st, 1), "closed"); /* Saturday */
    state_advance(st, TD("2026-12-01", "10:00:00"));
    assert_string_equal(status_at(st, 1), "closed"); /* holiday */
    state_destroy(st);
}

static void expect_same_docs(state_t *a, state_t *b)
{
    bool only1[2] = {false, true};
    state_view hv = {.halls = only1, .names = true, .urls = true};
    state_view wall = {.names = false, .urls = false};
    json_t *x, *y;
    x = state_city(a, NULL);
    y = state_city(b, NULL);
    assert_true(json_equal(x, y));
    json_decref(x);
    json_decref(y);
    x = state_city(a, &hv);
    y = state_city(b, &hv);
    assert_true(json_equal(x, y));
    json_decref(x);
    json_decref(y);
    for (int h = 0; h < 2; h++) {
        x = state_hall(a, h, NULL);
        y = state_hall(b, h, NULL);
        if (!json_equal(x, y)) {
            char *g = json_dumps(x, JSON_SORT_KEYS), *w = json_dumps(y, JSON_SORT_KEYS);
            print_error("a: %s\nb: %s\n", g, w);
            free(g);
            free(w);
            fail();
        }
        json_decref(x);
        json_decref(y);
        x = state_hall(a, h, &wall);
        y = state_hall(b, h, &wall);
        assert_true(json_equal(x, y));
        json_decref(x);
        json_decref(y);
    }
}

static void test_save_load(void **unused)
{
    (void)unused;
    state_t *st = monday();
    state_add_closure(st, 1, TD("2026-11-23", "15:00:00"), TD("2026-11-23", "16:00:00"), "drill");
    json_t *saved = state_save(st);
    assert_non_null(saved);
    char *text = json_dumps(saved, JSON_COMPACT);
    json_decref(saved);
    json_error_t err;
    saved = json_loads(text, 0, &err);
    free(text);
    assert_non_null(saved);

    state_t *st2 = state_create(&cfg, T("07:00:00"));
    assert_int_equal(state_load(st2, saved), 0);
    json_decref(saved);
    assert_int_equal(state_now(st2), T("10:39:30"));
    state_stats s1, s2;
    state_get_stats(st, &s1);
    state_get_stats(st2, &s2);
    assert_memory_equal(&s1, &s2, sizeof s1);
    expect_same_docs(st, st2);

    /* the same next events on both: A006 is called at A01 (W = 10:41-09:30 = 4260 s); then
     * A003's finished ticket cannot be called (bad); then B003 is called, recycled and
     * called again (its second call replaces its W, also after the reload) */
    state_t *both[2] = {st, st2};
    for (int i = 0; i < 2; i++) {
        state_t *x = both[i];
        tk(x, EV_TICKET_CALLED, 0, "A006", A01, NULL, "10:41:00");
        tk(x, EV_TICKET_CALLED, 0, "A003", A02, NULL, "10:42:00");
        winev(x, EV_WINDOW_RESUMED, 0, A02, NULL, -1, "10:43:00");
        tk(x, EV_TICKET_CALLED, 0, "B003", A02, NULL, "10:44:00");
        noshow(x, 0, "B003", A02, EV_NOSHOW_RECYCLE, "10:45:00");
        tk(x, EV_TICKET_CALLED, 0, "B003", A02, NULL, "10:50:00");
        state_advance(x, T("15:30:00"));
    }
    expect_same_docs(st, st2);
    /* W: 13020 + 4260 (A006) + (10:50-09:35 = 4500, B003) = 21780 / 9 = 2420 */
    check_hall_kpi_int(st2, 0, "avg_wait_s", 2420);
    assert_string_equal(status_at(st2, 1), "closed"); /* the closure came through */

    /* a save that does not fit the config is refused; the state is empty for its day */
    saved = state_save(st);
    json_object_set_new(json_object_get(saved, "halls"), "LH-99", json_object());
    state_t *st3 = state_create(&cfg, T("07:00:00"));
    assert_int_equal(state_load(st3, saved), -1);
    json_decref(saved);
    check_hall_kpi_int(st3, 0, "issued", 0);
    state_destroy(st3);
    state_destroy(st2);
    state_destroy(st);
}

/* ---------------------------------------------------------------- binary image */

/* state_save() of a and b, less the version counters (a load bumps every hall), as sorted
 * compact text: equal texts mean every ticket, record and review id in the same order. */
static void expect_same_save(state_t *a, state_t *b)
{
    json_t *doc[2] = {state_save(a), state_save(b)};
    char *text[2];
    for (int i = 0; i < 2; i++) {
        const char *key;
        json_t *ho;
        assert_non_null(doc[i]);
        json_object_del(doc[i], "ver");
        json_object_foreach(json_object_get(doc[i], "halls"), key, ho) json_object_del(ho, "ver");
        text[i] = json_dumps(doc[i], JSON_SORT_KEYS | JSON_COMPACT);
        assert_non_null(text[i]);
        json_decref(doc[i]);
    }
    assert_string_equal(text[0], text[1]);
    free(text[0]);
    free(text[1]);
}

/* The image's trailing checksum, recomputed (FNV-1a 64 of every byte before it, LE). */
static void reseal(unsigned char *img, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len - 8; i++) {
        h ^= img[i];
        h *= 1099511628211ull;
    }
    for (int k = 0; k < 8; k++)
        img[len - 8 + k] = (unsigned char)(h >> (8 * k));
}

/* Image offsets: magic + version 8, now 8, day 4, then ver (8); last_sec 8, last_min 8,
 * stats 32, then nhalls (u32); each hall: id (u32 length, bytes, NUL), body length (u64),
 * body starting with the hall's ver (u64). */
#define IMG_VER 20
#define IMG_NHALLS 76

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

/* Zero the version counters and the checksum of an image. */
static void zero_versions(unsigned char *img, size_t len)
{
    size_t p = IMG_NHALLS + 4;
    memset(img + IMG_VER, 0, 8);
    for (uint64_t h = 0, nh = le(img + IMG_NHALLS, 4); h < nh; h++) {
        p += 4 + le(img + p, 4) + 1;
        uint64_t body = le(img + p, 8);
        p += 8;
        assert_true(p + body <= len - 8);
        memset(img + p, 0, 8);
        p += body;
    }
    assert_int_equal(p, len - 8);
    memset(img + len - 8, 0, 8);
}

/* A state that refused an image holds no ticket of it. */
static void expect_empty(state_t *st)
{
    state_stats s;
    state_get_stats(st, &s);
    assert_int_equal(s.tickets, 0);
    assert_int_equal(s.applied, 0);
    check_hall_kpi_int(st, 0, "issued", 0);
    check_hall_kpi_int(st, 1, "issued", 0);
}

static void test_bin_round_trip(void **unused)
{
    (void)unused;
    state_t *st = monday();
    state_add_closure(st, 1, TD("2026-11-23", "15:00:00"), TD("2026-11-23", "16:00:00"), "drill");
    unsigned char *img = NULL;
    size_t len = 0;
    assert_int_equal(state_save_bin(st, &img, &len), 0);
    assert_non_null(img);
    assert_memory_equal(img, "CWSB\x01\x00\x00\x00", 8); /* magic, version 1 (LE) */

    state_t *st2 = state_create(&cfg, T("07:00:00"));
    assert_int_equal(state_load_bin(st2, img, len), 0);
    free(img);
    assert_int_equal(state_now(st2), T("10:39:30"));
    assert_int_equal(state_day(st2), 20261123);
    state_stats s1, s2;
    state_get_stats(st, &s1);
    state_get_stats(st2, &s2);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_int_equal(s2.tickets, 12); /* hall 0: A001-A006, B001-B003, X009; hall 1: 2 */
    assert_true(state_city_version(st2) > state_city_version(st));
    expect_same_docs(st, st2);
    expect_same_save(st, st2);

    /* the same next events as in test_save_load, on both */
    state_t *both[2] = {st, st2};
    for (int i = 0; i < 2; i++) {
        state_t *x = both[i];
        tk(x, EV_TICKET_CALLED, 0, "A006", A01, NULL, "10:41:00");
        tk(x, EV_TICKET_CALLED, 0, "A003", A02, NULL, "10:42:00");
        winev(x, EV_WINDOW_RESUMED, 0, A02, NULL, -1, "10:43:00");
        tk(x, EV_TICKET_CALLED, 0, "B003", A02, NULL, "10:44:00");
        noshow(x, 0, "B003", A02, EV_NOSHOW_RECYCLE, "10:45:00");
        tk(x, EV_TICKET_CALLED, 0, "B003", A02, NULL, "10:50:00");
        review(x, 0, "R6", 1, EV_RCH_WEB, A02, NULL, NULL, false, T("10:51:00"));
        issue(x, 1, "A003", 0, "10:52:00");
        state_advance(x, T("15:30:00"));
    }
    expect_same_docs(st, st2);
    expect_same_save(st, st2);
    /* W: 13020 + 4260 (A006) + (10:50-09:35 = 4500, B003) = 21780 / 9 = 2420 */
    check_hall_kpi_int(st2, 0, "avg_wait_s", 2420);
    /* R1-R4 and R6 count: 5 reviews, bad R4 and R6; cases R4 and R6 open */
    check_hall_kpi_int(st2, 0, "reviews", 5);
    check_hall_kpi_int(st2, 0, "bad_cases_open", 2);
    check_hall_kpi_int(st2, 1, "issued", 3);
    assert_string_equal(status_at(st2, 1), "closed"); /* the closure came through */

    /* a second generation: the reloaded state saves the same image bytes but the versions
     * (same map layouts, waiting lists and record lists) */
    unsigned char *i1 = NULL, *i2 = NULL;
    size_t l1 = 0, l2 = 0;
    assert_int_equal(state_save_bin(st, &i1, &l1), 0);
    assert_int_equal(state_save_bin(st2, &i2, &l2), 0);
    assert_int_equal(l1, l2);
    state_t *st3 = state_create(&cfg, T("07:00:00"));
    assert_int_equal(state_load_bin(st3, i2, l2), 0);
    zero_versions(i1, l1);
    zero_versions(i2, l2);
    assert_memory_equal(i1, i2, l1);
    expect_same_docs(st, st3);
    expect_same_save(st, st3);
    free(i1);
    free(i2);
    state_destroy(st3);
    state_destroy(st2);
    state_destroy(st);
}

static void test_bin_refused(void **unused)
{
    (void)unused;
    state_t *st = monday();
    unsigned char *img = NULL;
    size_t len = 0;
    assert_int_equal(state_save_bin(st, &img, &len), 0);
    state_destroy(st);
    st = state_create(&cfg, T("07:00:00"));
    unsigned char *copy = malloc(len);
    assert_non_null(copy);

    /* the untouched image, resealed, still loads (reseal computes the real checksum) */
    memcpy(copy, img, len);
    reseal(copy, len);
    assert_memory_equal(copy, img, len);
    assert_int_equal(state_load_bin(st, copy, len), 0);
    check_hall_kpi_int(st, 0, "issued", 9);

    /* every truncation (a torn write) */
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(state_load_bin(st, img, n), -1);
        expect_empty(st);
    }
    assert_int_equal(state_load_bin(st, NULL, 0), -1);

    /* every flipped byte */
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, img, len);
        copy[i] ^= 0x20;
        assert_int_equal(state_load_bin(st, copy, len), -1);
        expect_empty(st);
    }

    /* another format version, with a valid checksum */
    memcpy(copy, img, len);
    copy[4] = 2;
    reseal(copy, len);
    assert_int_equal(state_load_bin(st, copy, len), -1);
    expect_empty(st);

    /* a hall count beyond the halls present, with a valid checksum; the image's day stays */
    memcpy(copy, img, len);
    assert_int_equal(copy[IMG_NHALLS], 2);
    copy[IMG_NHALLS] = 3;
    reseal(copy, len);
    assert_int_equal(state_load_bin(st, copy, len), -1);
    expect_empty(st);
    assert_int_equal(state_now(st), T("10:39:30"));

    /* an image that does not fit the config (LH-01 unknown): an empty state for its day */
    static cfg_t one;
    one = cfg;
    one.nhalls = 1;
    state_t *st1 = state_create(&one, T("07:00:00"));
    assert_int_equal(state_load_bin(st1, img, len), -1);
    assert_int_equal(state_now(st1), T("10:39:30"));
    check_hall_kpi_int(st1, 0, "issued", 0);
    state_destroy(st1);

    /* any byte changed under a valid checksum: refused or loaded, never half-loaded (and,
     * under ASan, no read outside the image and no leak) */
    int refused = 0;
    for (size_t i = 8; i < len - 8; i++) {
        memcpy(copy, img, len);
        copy[i] ^= 0xff;
        reseal(copy, len);
        int rc = state_load_bin(st, copy, len);
        assert_true(rc == 0 || rc == -1);
        if (rc < 0) {
            expect_empty(st);
            refused++;
        }
    }
    assert_true(refused > 0);
    free(copy);
    free(img);
    state_destroy(st);
}

/* A reload into a config that lost biz B and window B01 of hall 0 drops their state:
 * B002 (finished in B) and B003 (waiting in B) go; B001 was transferred to A and stays.
 * Hall counters are kept as they were (issued 9), live figures follow the tickets left:
 * waiting A006 only, serving A004 at A01. */
static void test_reconfigure_drops(void **unused)
{
    (void)unused;
    state_t *st = monday();
    static int a02_biz[] = {0};
    static cfg_window win_a[2];
    static cfg_hall h2[2];
    static cfg_t cfg2;
    win_a[0] = win0[0];
    win_a[1] = win0[1];
    win_a[1].biz = a02_biz;
    win_a[1].nbiz = 1;
    h2[0] = halls[0];
    h2[0].nbiz = 1;
    h2[0].windows = win_a;
    h2[0].nwindows = 2;
    h2[1] = halls[1];
    cfg2 = cfg;
    cfg2.halls = h2;
    assert_int_equal(state_reconfigure(st, &cfg2), 0);
    state_stats s;
    state_get_stats(st, &s);
    assert_int_equal(s.tickets, 10);
    check_hall_kpi_int(st, 0, "issued", 9);
    check_hall_kpi_int(st, 0, "waiting", 1);
    check_hall_kpi_int(st, 0, "serving", 1);
    json_t *d = state_hall(st, 0, NULL);
    assert_null(json_object_get(json_object_get(d, "windows"), "B01"));
    assert_string_equal(walk(d, "windows", "A01", "status"), "serving");
    json_decref(d);
    tk(st, EV_TICKET_CALLED, 0, "A006", A02, NULL, "10:41:00");
    check_hall_kpi_int(st, 0, "waiting", 0);
    state_destroy(st);
}

static void test_versions(void **unused)
{
    (void)unused;
    state_t *st = monday();
    uint64_t c0 = state_city_version(st), h0 = state_hall_version(st, 0);
    uint64_t h1 = state_hall_version(st, 1);
    assert_true(c0 >= h0 && c0 >= h1);
    assert_false(state_advance(st, T("10:39:30") + 400)); /* same business second */
    assert_int_equal(state_city_version(st), c0);
    ev_event e = mk(EV_HALL_HEARTBEAT, 1, T("10:39:30") + 500);
    send(st, &e);
    assert_int_equal(state_hall_version(st, 0), h0);
    assert_true(state_hall_version(st, 1) > h1);
    assert_true(state_city_version(st) > c0);
    h0 = state_hall_version(st, 0);
    assert_true(state_advance(st, T("10:39:31"))); /* people wait in hall 0: its ages move */
    assert_true(state_hall_version(st, 0) > h0);
    state_destroy(st);
}

static void test_reconfigure(void **unused)
{
    (void)unused;
    state_t *st = monday();
    json_t *before0 = state_hall(st, 0, NULL), *before1 = state_hall(st, 1, NULL);
    json_t *city = state_city(st, NULL);
    /* the same halls in the other order */
    static cfg_hall swapped[2];
    static cfg_t cfg2;
    swapped[0] = halls[1];
    swapped[1] = halls[0];
    swapped[0].parent_index = 1;
    cfg2 = cfg;
    cfg2.halls = swapped;
    uint64_t v = state_city_version(st);
    assert_int_equal(state_reconfigure(st, &cfg2), 0);
    assert_true(state_city_version(st) > v);
    json_t *after0 = state_hall(st, 1, NULL), *after1 = state_hall(st, 0, NULL);
    assert_true(json_equal(before0, after0));
    assert_true(json_equal(before1, after1));
    json_t *city2 = state_city(st, NULL);
    assert_true(json_equal(city, city2));
    json_decref(before0);
    json_decref(before1);
    json_decref(after0);
    json_decref(after1);
    json_decref(city);
    json_decref(city2);
    /* and it keeps working: A006 called in LH-00 (now index 1) */
    tk(st, EV_TICKET_CALLED, 1, "A006", A01, NULL, "10:41:00");
    check_hall_kpi_int(st, 1, "waiting", 1);
    state_destroy(st);
}

/* Unknown tickets first seen by a finish or a transfer, and bad transitions. */
/* state_check finds what the invariants forbid: each tampering below is named. */
static void test_check_finds_broken_invariants(void **unused)
{
    (void)unused;
    build_cfg();
    seqno = nsent = 0;
    state_t *st = state_create(&cfg, T("08:00:00"));
    issue(st, 0, "A001", A, "09:00:00");
    issue(st, 0, "A002", A, "09:01:00");
    char why[300];
    assert_int_equal(state_check(st, why, sizeof why), 0);
    state_hs *hs = &st->halls[0];
    hs->biz[A].waiting--; /* invariant 2: the per-biz count */
    assert_int_equal(state_check(st, why, sizeof why), -1);
    assert_non_null(strstr(why, "waiting 1 counted, 2 held"));
    hs->biz[A].waiting++;
    hs->waiting[0]->widx = 1; /* invariant 2: the index in waiting[] */
    assert_int_equal(state_check(st, why, sizeof why), -1);
    assert_non_null(strstr(why, "but widx 1"));
    hs->waiting[0]->widx = 0;
    hs->ver = st->ver + 1; /* invariant 5 */
    assert_int_equal(state_check(st, why, sizeof why), -1);
    assert_non_null(strstr(why, "above the city's"));
    hs->ver = st->ver;
    assert_int_equal(state_check(st, why, sizeof why), 0);
    state_destroy(st);
}

static void test_unknown_and_bad(void **unused)
{
    (void)unused;
    build_cfg();
    seqno = nsent = 0;
    state_t *st = state_create(&cfg, T("08:00:00"));
    tk(st, EV_TICKET_FINISHED, 0, "Z1", A02, NULL, "09:00:00"); /* finished, S unknown */
    transfer(st, 0, "Z2", B01, A, "09:01:00");                  /* waits in A from 09:01 */
    tk(st, EV_TICKET_CALLED, 0, "Z2", A01, NULL, "09:11:00");   /* W = 600, now known */
    tk(st, EV_TICKET_RECALLED, 0, "Z3", A01, NULL, "09:12:00"); /* serving */
    issue(st, 0, "Q1", A, "09:13:00");
    tk(st, EV_TICKET_FINISHED, 0, "Q1", A01, NULL, "09:14:00");  /* waiting -> finished: bad */
    tk(st, EV_TICKET_SUSPENDED, 0, "Q1", A01, NULL, "09:14:00"); /* bad */
    state_stats s;
    state_get_stats(st, &s);
    assert_int_equal(s.unknown_tickets, 3);
    assert_int_equal(s.bad_transitions, 2);
    json_t *k = state_hall_kpi(st, 0);
    /* issued 1 (Q1); finished 1 (Z1) with no S; one visit of 600 s; serving Z2 and Z3 but the
     * window A01 holds the later one (Z3); waiting Q1 for 09:14-09:13 = 60 s. A finish (A02)
     * or a transfer (B01) at a window leaves it open: 3 staffed, 1 serving */
    expect_json(k, "{\"issued\":1,\"waiting\":1,\"serving\":2,\"suspended\":0,\"finished\":1,"
                   "\"no_show\":0,\"no_show_rate\":0.0,\"avg_wait_s\":600,"
                   "\"max_wait_live_s\":60,\"over_sla_waiting\":0,\"sl_60m\":1.0,"
                   "\"windows_open\":3,\"windows_serving\":1,\"windows_paused\":0,"
                   "\"windows_planned\":2,\"reviews\":0,\"bad_reviews\":0,\"bad_cases_open\":0,"
                   "\"bad_cases_overdue\":0,\"cameras_online\":0,\"cameras_total\":2}");
    json_decref(k);
    state_destroy(st);
}

int main(void)
{
    if (cwt_set_timezone("Asia/Shanghai") < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monday_hall),
        cmocka_unit_test(test_monday_city),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_rollover_and_cases),
        cmocka_unit_test(test_deadline_calendar),
        cmocka_unit_test(test_status_and_closure),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_bin_round_trip),
        cmocka_unit_test(test_bin_refused),
        cmocka_unit_test(test_reconfigure_drops),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_reconfigure),
        cmocka_unit_test(test_unknown_and_bad),
        cmocka_unit_test(test_check_finds_broken_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
