/* Unit tests for event: ev_parse() against a hand-built config, every type and every error
 * message shape of SPEC §3.1, the UTF-8 checks and the wire names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "evscan.h"

static cfg_biz biz03[] = {
    {.id = "A", .name = "社保", .category = "social-security", .sla_s = 1800},
    {.id = "B", .name = "户籍", .category = "household", .sla_s = 1200},
};
static int w0_biz[] = {0};
static int w1_biz[] = {0, 1};
static int w1_cams[] = {1};
static cfg_window win03[] = {
    {.id = "A05", .biz = w0_biz, .nbiz = 1},
    {.id = "B01", .biz = w1_biz, .nbiz = 2, .cameras = w1_cams, .ncameras = 1},
};
static cfg_camera cam03[] = {
    {.id = "C1", .name = "大厅", .area = CFG_AREA_WAITING},
    {.id = "C2", .name = "B01", .area = CFG_AREA_WINDOW},
};
static cfg_hall halls[] = {
    {.id = "LH-00", .name = "临海市民中心", .level = CFG_LEVEL_CITY, .parent_index = -1},
    {.id = "LH-03",
     .name = "古城街道便民服务中心",
     .level = CFG_LEVEL_TOWN,
     .parent = "LH-00",
     .parent_index = 0,
     .biz = biz03,
     .nbiz = 2,
     .windows = win03,
     .nwindows = 2,
     .cameras = cam03,
     .ncameras = 2},
};
static cfg_t cfg = {.halls = halls, .nhalls = 2};

#define AT "\"2026-11-22T09:12:33.120+08:00\""
#define AT_MS 1795309953120LL /* date -d '2026-11-22T09:12:33.120+08:00' +%s%3N */

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j) fail_msg("bad test JSON '%s': %s", text, e.text);
    return j;
}

/* An event of hall LH-03, seq 1, at AT with the given type and data JSON. */
static json_t *event(const char *type, const char *data)
{
    char buf[8192];
    snprintf(buf, sizeof buf,
             "{\"hall\":\"LH-03\",\"seq\":1,\"type\":\"%s\",\"at\":" AT ",\"data\":%s}", type,
             data);
    return load(buf);
}

static void same_str(const char *what, const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("%s: \"%s\" read through evscan, \"%s\" through jansson", what, a ? a : "(null)",
                 b ? b : "(null)");
}

/* obj as a batch of one, read by evscan (common/evscan.c, the ingest path's scan); NULL when
 * it cannot be encoded (invalid UTF-8 built in by the test) or evscan does not take it. */
static evscan *scan_of(json_t *obj)
{
    char *text = json_dumps(obj, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) return NULL;
    size_t n = strlen(text);
    char *batch = malloc(n + 3);
    snprintf(batch, n + 3, "[%s]", text);
    free(text);
    evscan *s = evscan_array(batch, n + 2);
    free(batch);
    return s;
}

/* An event that jansson refuses, read through evscan: *rc and err. False when evscan does not
 * take it. */
static bool scan_parse(json_t *obj, ev_event *ev, char *err, size_t errlen, int *rc)
{
    evscan *s = scan_of(obj);
    if (!s) return false;
    assert_int_equal(evscan_count(s), 1);
    *rc = ev_parse_view(&cfg, evscan_event(s, 0), ev, err, errlen);
    evscan_free(s); /* ev's strings are gone with it: only rc and err are read */
    return true;
}

/* The event read through evscan is the same as through jansson's tree (when evscan takes it). */
static void expect_same(json_t *obj, const ev_event *want)
{
    evscan *s = scan_of(obj);
    if (s) {
        ev_event ev;
        char err[256];
        if (ev_parse_view(&cfg, evscan_event(s, 0), &ev, err, sizeof err) != 0)
            fail_msg("evscan rejected what jansson's tree took: %s", err);
        assert_int_equal(ev.type, want->type);
        assert_int_equal(ev.hall, want->hall);
        same_str("hall", ev.hall_id, want->hall_id);
        same_str("feed", ev.feed, want->feed);
        assert_int_equal(ev.feed_named, want->feed_named);
        assert_int_equal(ev.seq, want->seq);
        assert_int_equal(ev.at_ms, want->at_ms);
        assert_int_equal(ev.at_offset_min, want->at_offset_min);
        const int a[] = {ev.biz,        ev.to_biz,     ev.window,   ev.camera,       ev.channel,
                         ev.priority,   ev.result,     ev.action,   ev.pause_reason, ev.level,
                         ev.case_state, ev.cam_status, ev.real_name};
        const int b[] = {want->biz,          want->to_biz,   want->window,     want->camera,
                         want->channel,      want->priority, want->result,     want->action,
                         want->pause_reason, want->level,    want->case_state, want->cam_status,
                         want->real_name};
        assert_memory_equal(a, b, sizeof a);
        same_str("ticket", ev.ticket, want->ticket);
        same_str("staff", ev.staff, want->staff);
        same_str("item", ev.item, want->item);
        same_str("case", ev.case_id, want->case_id);
        same_str("review", ev.review, want->review);
        same_str("comment", ev.comment, want->comment);
        same_str("reason", ev.reason, want->reason);
        same_str("note", ev.note, want->note);
        same_str("main", ev.main_url, want->main_url);
        same_str("sub", ev.sub_url, want->sub_url);
        evscan_free(s);
    }
}

static void expect_ok(json_t *obj, ev_event *ev)
{
    char err[256];
    if (ev_parse(&cfg, obj, ev, err, sizeof err) != 0) fail_msg("rejected: %s", err);
    assert_string_equal(err, "");
    expect_same(obj, ev);
}

static void expect_err(json_t *obj, const char *want)
{
    char err[256];
    ev_event ev;
    char *text = json_dumps(obj, JSON_ENCODE_ANY);
    if (ev_parse(&cfg, obj, &ev, err, sizeof err) != -1) fail_msg("accepted %s", text);
    if (strcmp(err, want) != 0) fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", text, err, want);
    int rc;
    if (scan_parse(obj, &ev, err, sizeof err, &rc)) {
        if (rc != -1) fail_msg("evscan accepted %s", text);
        if (strcmp(err, want) != 0)
            fail_msg("evscan %s\n  got  \"%s\"\n  want \"%s\"", text, err, want);
    }
    free(text);
    json_decref(obj);
}

static void expect_err_text(const char *text, const char *want)
{
    expect_err(load(text), want);
}

static void expect_data_err(const char *type, const char *data, const char *want)
{
    expect_err(event(type, data), want);
}

/* The event with data[key] replaced by v (stolen). */
static json_t *event_with(const char *type, const char *data, const char *key, json_t *v)
{
    json_t *e = event(type, data);
    json_object_set_new(json_object_get(e, "data"), key, v);
    return e;
}

static void assert_unset(const ev_event *ev)
{
    assert_int_equal(ev->biz, -1);
    assert_int_equal(ev->to_biz, -1);
    assert_int_equal(ev->camera, -1);
    assert_int_equal(ev->priority, -1);
    assert_int_equal(ev->result, -1);
    assert_int_equal(ev->action, -1);
    assert_int_equal(ev->pause_reason, -1);
    assert_int_equal(ev->level, -1);
    assert_int_equal(ev->case_state, -1);
    assert_int_equal(ev->cam_status, -1);
    assert_false(ev->real_name);
    assert_null(ev->item);
    assert_null(ev->case_id);
    assert_null(ev->review);
    assert_null(ev->comment);
    assert_null(ev->reason);
    assert_null(ev->note);
    assert_null(ev->main_url);
    assert_null(ev->sub_url);
}

static void test_called_all_fields(void **state)
{
    (void)state;
    json_t *o =
        load("{\"hall\":\"LH-03\",\"feed\":\"queue\",\"seq\":1042,\"type\":\"ticket.called\","
             "\"at\":" AT ",\"data\":{\"ticket\":\"A023\",\"window\":\"B01\","
             "\"staff\":\"W1023\",\"extra\":[1,2]},\"gateway\":\"v2\"}");
    ev_event ev;
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_CALLED);
    assert_int_equal(ev.hall, 1);
    assert_string_equal(ev.hall_id, "LH-03");
    assert_string_equal(ev.feed, "queue");
    assert_true(ev.feed_named);
    assert_int_equal(ev.seq, 1042);
    assert_int_equal(ev.at_ms, AT_MS);
    assert_int_equal(ev.at_offset_min, 480);
    assert_string_equal(ev.ticket, "A023");
    assert_int_equal(ev.window, 1);
    assert_string_equal(ev.staff, "W1023");
    assert_int_equal(ev.channel, -1);
    assert_unset(&ev);
    json_decref(o);

    /* no feed: "main", not named; staff absent or null: NULL */
    o = load("{\"hall\":\"LH-03\",\"seq\":9007199254740991,\"type\":\"ticket.called\","
             "\"at\":\"2026-11-22T01:12:33Z\",\"data\":{\"ticket\":\"A023\",\"window\":\"A05\","
             "\"staff\":null}}");
    expect_ok(o, &ev);
    assert_string_equal(ev.feed, "main");
    assert_false(ev.feed_named);
    assert_int_equal(ev.seq, EV_SEQ_MAX);
    assert_int_equal(ev.at_ms, 1795309953000LL);
    assert_int_equal(ev.at_offset_min, 0);
    assert_int_equal(ev.window, 0);
    assert_null(ev.staff);
    json_decref(o);
}

static void test_every_type(void **state)
{
    (void)state;
    ev_event ev;
    json_t *o;

    o = event("ticket.issued", "{\"ticket\":\"B007\",\"biz\":\"B\",\"channel\":\"wechat\","
                               "\"priority\":\"green\",\"item\":\"330100-001\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_ISSUED);
    assert_string_equal(ev.ticket, "B007");
    assert_int_equal(ev.biz, 1);
    assert_int_equal(ev.channel, EV_CH_WECHAT);
    assert_int_equal(ev.priority, EV_PRIO_GREEN);
    assert_string_equal(ev.item, "330100-001");
    assert_int_equal(ev.window, -1);
    assert_null(ev.staff);
    json_decref(o);

    o = event("ticket.recalled", "{\"ticket\":\"A1\",\"window\":\"A05\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_RECALLED);
    assert_int_equal(ev.window, 0);
    json_decref(o);

    o = event("ticket.started", "{\"ticket\":\"A1\",\"window\":\"B01\",\"staff\":\"W9\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_STARTED);
    assert_string_equal(ev.staff, "W9");
    json_decref(o);

    o = event("ticket.finished",
              "{\"ticket\":\"A1\",\"window\":\"B01\",\"result\":\"supplement\",\"case\":\"BJ-1\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.result, EV_RES_SUPPLEMENT);
    assert_string_equal(ev.case_id, "BJ-1");
    json_decref(o);

    o = event("ticket.no_show", "{\"ticket\":\"A1\",\"window\":\"B01\",\"action\":\"recycle\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.action, EV_NOSHOW_RECYCLE);
    json_decref(o);

    o = event("ticket.transferred", "{\"ticket\":\"A1\",\"window\":\"A05\",\"to_biz\":\"B\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.to_biz, 1);
    assert_int_equal(ev.biz, -1);
    json_decref(o);

    o = event("ticket.suspended", "{\"ticket\":\"A1\",\"window\":\"A05\",\"reason\":\"补材料\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_SUSPENDED);
    assert_string_equal(ev.reason, "补材料");
    json_decref(o);

    o = event("ticket.resumed", "{\"ticket\":\"A1\",\"window\":\"A05\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_RESUMED);
    assert_null(ev.reason);
    json_decref(o);

    o = event("ticket.voided", "{\"ticket\":\"A1\",\"reason\":\"duplicate\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_TICKET_VOIDED);
    assert_int_equal(ev.window, -1);
    assert_string_equal(ev.reason, "duplicate");
    json_decref(o);

    o = event("window.opened", "{\"window\":\"B01\",\"staff\":\"W1023\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_WINDOW_OPENED);
    assert_null(ev.ticket);
    json_decref(o);

    o = event("window.paused", "{\"window\":\"B01\",\"reason\":\"meeting\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.pause_reason, EV_PAUSE_MEETING);
    assert_null(ev.reason);
    json_decref(o);

    o = event("window.resumed", "{\"window\":\"B01\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_WINDOW_RESUMED);
    json_decref(o);

    o = event("window.closed", "{\"window\":\"A05\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_WINDOW_CLOSED);
    assert_int_equal(ev.window, 0);
    json_decref(o);

    o = event("review.submitted",
              "{\"review\":\"R1\",\"level\":1,\"channel\":\"hotline\",\"window\":\"B01\","
              "\"staff\":\"W1\",\"ticket\":\"A1\",\"case\":\"BJ-2\",\"item\":\"I-1\","
              "\"comment\":\"等了很久\\n态度差\",\"real_name\":true}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_REVIEW_SUBMITTED);
    assert_string_equal(ev.review, "R1");
    assert_int_equal(ev.level, 1);
    assert_int_equal(ev.channel, EV_RCH_HOTLINE);
    assert_int_equal(ev.window, 1);
    assert_string_equal(ev.staff, "W1");
    assert_string_equal(ev.ticket, "A1");
    assert_string_equal(ev.case_id, "BJ-2");
    assert_string_equal(ev.item, "I-1");
    assert_string_equal(ev.comment, "等了很久\n态度差");
    assert_true(ev.real_name);
    json_decref(o);

    o = event("review.submitted",
              "{\"review\":\"R2\",\"level\":5,\"channel\":\"evaluator\",\"real_name\":false}");
    expect_ok(o, &ev);
    assert_int_equal(ev.level, 5);
    assert_int_equal(ev.channel, EV_RCH_EVALUATOR);
    assert_int_equal(ev.window, -1);
    assert_null(ev.comment);
    assert_false(ev.real_name);
    json_decref(o);

    o = event("review.case",
              "{\"review\":\"R1\",\"state\":\"appeal_upheld\",\"note\":\"a\\r\\nb\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.case_state, EV_CASE_APPEAL_UPHELD);
    assert_string_equal(ev.note, "a\r\nb");
    json_decref(o);

    o = event("camera.status", "{\"camera\":\"C2\",\"status\":\"no_frame\","
                               "\"main\":\"rtsp://10.0.0.5:8554/c2\",\"sub\":\"HTTPS://x/y\"}");
    expect_ok(o, &ev);
    assert_int_equal(ev.camera, 1);
    assert_int_equal(ev.cam_status, EV_CAM_NO_FRAME);
    assert_string_equal(ev.main_url, "rtsp://10.0.0.5:8554/c2");
    assert_string_equal(ev.sub_url, "HTTPS://x/y");
    json_decref(o);

    o = load("{\"hall\":\"LH-00\",\"seq\":7,\"type\":\"hall.heartbeat\",\"at\":" AT "}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_HALL_HEARTBEAT);
    assert_int_equal(ev.hall, 0);
    assert_int_equal(ev.window, -1);
    assert_null(ev.ticket);
    assert_unset(&ev);
    json_decref(o);
    o = event("hall.heartbeat", "{}");
    expect_ok(o, &ev);
    assert_int_equal(ev.type, EV_HALL_HEARTBEAT);
    json_decref(o);
    o = event("hall.heartbeat", "{\"uptime\":5}");
    expect_ok(o, &ev);
    json_decref(o);
}

static void test_envelope_errors(void **state)
{
    (void)state;
    expect_err_text("[]", "event: must be an object");
    expect_err_text("{\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}", "hall: missing");
    expect_err_text("{\"hall\":3,\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}",
                    "hall: must be a string");
    expect_err_text("{\"hall\":\"LH-99\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}",
                    "hall: unknown hall 'LH-99'");
    expect_err_text("{\"hall\":\"lh-03\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}",
                    "hall: unknown hall 'lh-03'");
    expect_err_text("{\"hall\":\"LH-03\",\"feed\":\"\",\"seq\":1,\"type\":\"hall.heartbeat\","
                    "\"at\":" AT "}",
                    "feed: 1 to 64 characters of A-Z a-z 0-9 _ . -");
    expect_err_text("{\"hall\":\"LH-03\",\"feed\":\"a b\",\"seq\":1,\"type\":\"hall.heartbeat\","
                    "\"at\":" AT "}",
                    "feed: 1 to 64 characters of A-Z a-z 0-9 _ . -");
    expect_err_text(
        "{\"hall\":\"LH-03\",\"feed\":\"LH-03/q\",\"seq\":1,\"type\":\"hall.heartbeat\","
        "\"at\":" AT "}",
        "feed: 1 to 64 characters of A-Z a-z 0-9 _ . -");
    expect_err_text("{\"hall\":\"LH-03\",\"feed\":7,\"seq\":1,\"type\":\"hall.heartbeat\","
                    "\"at\":" AT "}",
                    "feed: must be a string");
    char feed[200], buf[400];
    memset(feed, 'f', 65);
    feed[65] = '\0';
    snprintf(buf, sizeof buf,
             "{\"hall\":\"LH-03\",\"feed\":\"%s\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT
             "}",
             feed);
    expect_err_text(buf, "feed: 1 to 64 characters of A-Z a-z 0-9 _ . -");
    feed[64] = '\0';
    snprintf(buf, sizeof buf,
             "{\"hall\":\"LH-03\",\"feed\":\"%s\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT
             "}",
             feed);
    json_t *o = load(buf);
    ev_event ev;
    expect_ok(o, &ev);
    assert_int_equal(strlen(ev.feed), 64);
    json_decref(o);
    o = load("{\"hall\":\"LH-03\",\"feed\":\"evaluator_2.b-1\",\"seq\":1,"
             "\"type\":\"hall.heartbeat\",\"at\":" AT "}");
    expect_ok(o, &ev);
    assert_string_equal(ev.feed, "evaluator_2.b-1");
    json_decref(o);

    static const char *const bad_seq[] = {"5.0",  "\"5\"", "0",  "-1", "9007199254740992",
                                          "true", "null",  "[1]"};
    for (size_t i = 0; i < sizeof bad_seq / sizeof bad_seq[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"hall\":\"LH-03\",\"seq\":%s,\"type\":\"hall.heartbeat\",\"at\":" AT "}",
                 bad_seq[i]);
        expect_err_text(buf, "seq: must be an integer from 1 to 2^53-1");
    }
    expect_err_text("{\"hall\":\"LH-03\",\"type\":\"hall.heartbeat\",\"at\":" AT "}",
                    "seq: missing");
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":1,\"at\":" AT "}", "type: missing");
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":1,\"type\":3,\"at\":" AT "}",
                    "type: must be a string");
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":1,\"type\":\"ticket.foo\",\"at\":" AT "}",
                    "type: unknown type 'ticket.foo'");
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":1,\"type\":\"hall.heartbeat\"}", "at: missing");
    static const char *const bad_at[] = {"\"2026-11-22T09:12:33\"", "\"2026-11-22\"", "123",
                                         "\"2026-02-30T09:12:33+08:00\"", "null"};
    for (size_t i = 0; i < sizeof bad_at / sizeof bad_at[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"hall\":\"LH-03\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":%s}", bad_at[i]);
        expect_err_text(buf, "at: not an RFC 3339 time with offset");
    }
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":1,\"type\":\"ticket.called\",\"at\":" AT "}",
                    "ticket.called: data missing");
    expect_data_err("ticket.called", "null", "ticket.called: data missing");
    expect_data_err("ticket.called", "[]", "data: must be an object");
    expect_data_err("ticket.called", "\"x\"", "data: must be an object");
    expect_data_err("hall.heartbeat", "[]", "data: must be an object");
    /* the first problem in envelope order is reported */
    expect_err_text("{\"hall\":\"LH-99\",\"seq\":0,\"type\":\"x\"}", "hall: unknown hall 'LH-99'");
    expect_err_text("{\"hall\":\"LH-03\",\"seq\":0,\"type\":\"x\"}",
                    "seq: must be an integer from 1 to 2^53-1");
}

static void test_data_errors(void **state)
{
    (void)state;
    expect_data_err("ticket.called", "{\"ticket\":\"A1\"}", "ticket.called: data.window missing");
    expect_data_err("ticket.called", "{\"window\":\"A05\"}", "ticket.called: data.ticket missing");
    expect_data_err("ticket.called", "{\"ticket\":23,\"window\":\"A05\"}",
                    "ticket.called: data.ticket must be a string");
    expect_data_err("ticket.called", "{\"ticket\":null,\"window\":\"A05\"}",
                    "ticket.called: data.ticket must be a string");
    expect_data_err("ticket.called", "{\"ticket\":\"A1\",\"window\":\"X9\"}",
                    "ticket.called: data.window: unknown window 'X9' for hall LH-03");
    expect_data_err("ticket.called", "{\"ticket\":\"A1\",\"window\":5}",
                    "ticket.called: data.window must be a string");
    expect_data_err("ticket.called", "{\"ticket\":\"A1\",\"window\":\"A05\",\"staff\":5}",
                    "ticket.called: data.staff must be a string");
    expect_data_err("ticket.issued",
                    "{\"ticket\":\"A1\",\"biz\":\"A\",\"channel\":\"fax\",\"priority\":\"normal\"}",
                    "ticket.issued: data.channel: unknown value 'fax' "
                    "(kiosk|wechat|appointment|counter|online)");
    expect_data_err(
        "ticket.issued",
        "{\"ticket\":\"A1\",\"biz\":\"Z\",\"channel\":\"kiosk\",\"priority\":\"normal\"}",
        "ticket.issued: data.biz: unknown biz 'Z' for hall LH-03");
    expect_data_err("ticket.issued", "{\"ticket\":\"A1\",\"biz\":\"A\",\"channel\":\"kiosk\"}",
                    "ticket.issued: data.priority missing");
    expect_data_err("ticket.issued",
                    "{\"ticket\":\"A1\",\"biz\":\"A\",\"channel\":\"kiosk\",\"priority\":\"VIP\"}",
                    "ticket.issued: data.priority: unknown value 'VIP' "
                    "(normal|green|vip|appointment)");
    expect_data_err("ticket.finished", "{\"ticket\":\"A1\",\"window\":\"A05\",\"result\":\"ok\"}",
                    "ticket.finished: data.result: unknown value 'ok' "
                    "(done|returned|consult|supplement)");
    expect_data_err("ticket.no_show", "{\"ticket\":\"A1\",\"window\":\"A05\",\"action\":1}",
                    "ticket.no_show: data.action must be a string");
    expect_data_err("ticket.transferred", "{\"ticket\":\"A1\",\"window\":\"A05\",\"to_biz\":\"C\"}",
                    "ticket.transferred: data.to_biz: unknown biz 'C' for hall LH-03");
    expect_data_err("window.paused", "{\"window\":\"A05\",\"reason\":\"nap\"}",
                    "window.paused: data.reason: unknown value 'nap' (lunch|break|meeting|other)");
    expect_data_err("window.opened", "{\"window\":\"A05\"}", "window.opened: data.staff missing");
    expect_data_err("camera.status", "{\"camera\":\"C9\",\"status\":\"online\"}",
                    "camera.status: data.camera: unknown camera 'C9' for hall LH-03");
    expect_data_err(
        "camera.status", "{\"camera\":\"C1\",\"status\":\"unknown\"}",
        "camera.status: data.status: unknown value 'unknown' (online|offline|no_frame)");
    expect_data_err("camera.status",
                    "{\"camera\":\"C1\",\"status\":\"online\",\"main\":\"ftp://x\"}",
                    "camera.status: data.main: must start with rtsp://, rtsps://, http:// or "
                    "https://");
    expect_data_err("camera.status", "{\"camera\":\"C1\",\"status\":\"online\",\"sub\":\"\"}",
                    "camera.status: data.sub: must start with rtsp://, rtsps://, http:// or "
                    "https://");
    expect_data_err("review.case", "{\"review\":\"R1\",\"state\":\"open\"}",
                    "review.case: data.state: unknown value 'open' (assigned|contacted|rectifying|"
                    "closed|appealed|appeal_upheld|appeal_rejected)");
    expect_data_err("review.submitted",
                    "{\"review\":\"R1\",\"level\":3,\"channel\":\"fax\","
                    "\"real_name\":false}",
                    "review.submitted: data.channel: unknown value 'fax' "
                    "(evaluator|qrcode|web|app|sms|hotline)");
    static const char *const bad_level[] = {"0", "6", "4.0", "\"5\"", "null", "-3"};
    for (size_t i = 0; i < sizeof bad_level / sizeof bad_level[0]; i++) {
        char data[200];
        snprintf(data, sizeof data,
                 "{\"review\":\"R1\",\"level\":%s,\"channel\":\"web\",\"real_name\":false}",
                 bad_level[i]);
        expect_data_err("review.submitted", data,
                        "review.submitted: data.level must be an integer 1..5");
    }
    expect_data_err("review.submitted",
                    "{\"review\":\"R1\",\"channel\":\"web\",\"real_name\":false}",
                    "review.submitted: data.level missing");
    expect_data_err("review.submitted", "{\"review\":\"R1\",\"level\":2,\"channel\":\"web\"}",
                    "review.submitted: data.real_name missing");
    expect_data_err("review.submitted",
                    "{\"review\":\"R1\",\"level\":2,\"channel\":\"web\",\"real_name\":1}",
                    "review.submitted: data.real_name must be a boolean");
    expect_data_err("review.submitted",
                    "{\"review\":\"R1\",\"level\":2,\"channel\":\"web\",\"real_name\":true,"
                    "\"window\":\"Q1\"}",
                    "review.submitted: data.window: unknown window 'Q1' for hall LH-03");
    /* unknown values are quoted at most 40 characters long */
    expect_data_err(
        "ticket.issued",
        "{\"ticket\":\"A1\",\"biz\":\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
        "一二三四五六七八九十一\",\"channel\":\"kiosk\",\"priority\":\"normal\"}",
        "ticket.issued: data.biz: unknown biz '一二三四五六七八九十一二三四五六七八九十"
        "一二三四五六七八九十一二三四五六七八九十...' for hall LH-03");
}

static void test_sizes_and_text(void **state)
{
    (void)state;
    char big[3000];
    ev_event ev;
    json_t *o;
    const char *rv = "{\"review\":\"R1\",\"level\":2,\"channel\":\"web\",\"real_name\":false}";

    memset(big, 'a', sizeof big);
    big[2000] = '\0';
    o = event_with("review.submitted", rv, "comment", json_string(big));
    expect_ok(o, &ev);
    assert_int_equal(strlen(ev.comment), 2000);
    json_decref(o);
    big[2000] = 'a';
    big[2001] = '\0';
    expect_err(event_with("review.submitted", rv, "comment", json_string(big)),
               "review.submitted: data.comment: longer than 2000 bytes");
    expect_err(event_with("review.submitted", rv, "comment", json_string("ding\a")),
               "review.submitted: data.comment: control characters not allowed");
    expect_err(event_with("review.submitted", rv, "comment", json_stringn("a\0b", 3)),
               "review.submitted: data.comment: control characters not allowed");
    expect_err(event_with("review.submitted", rv, "comment", json_stringn_nocheck("a\xff", 2)),
               "review.submitted: data.comment: invalid UTF-8");
    o = event_with("review.submitted", rv, "comment", json_string("好\t评\r\n"));
    expect_ok(o, &ev);
    json_decref(o);

    /* ticket: 1..32 printable code points */
    const char *tc = "{\"window\":\"A05\"}";
    const char *tmsg = "ticket.called: data.ticket: 1 to 32 printable characters";
    expect_err(event_with("ticket.called", tc, "ticket", json_string("")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string(" A1")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string("A1 ")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket",
                          json_string("\xe3\x80\x80"
                                      "A1")),
               tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string("A\tB")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string("A\nB")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string("A\xc2\x85")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_string("A\x7f")), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_stringn("A\0B", 3)), tmsg);
    expect_err(event_with("ticket.called", tc, "ticket", json_stringn_nocheck("A\xc0\xaf", 3)),
               "ticket.called: data.ticket: invalid UTF-8");
    memset(big, 'A', 33);
    big[33] = '\0';
    expect_err(event_with("ticket.called", tc, "ticket", json_string(big)), tmsg);
    big[32] = '\0';
    o = event_with("ticket.called", tc, "ticket", json_string(big));
    expect_ok(o, &ev);
    json_decref(o);
    /* 32 CJK characters (96 bytes) are fine, 33 are not */
    big[0] = '\0';
    for (int i = 0; i < 32; i++)
        strcat(big, "号");
    o = event_with("ticket.called", tc, "ticket", json_string(big));
    expect_ok(o, &ev);
    assert_int_equal(strlen(ev.ticket), 96);
    json_decref(o);
    strcat(big, "号");
    expect_err(event_with("ticket.called", tc, "ticket", json_string(big)), tmsg);
    o = event_with("ticket.called", tc, "ticket", json_string("A 1"));
    expect_ok(o, &ev);
    json_decref(o);

    /* ids: 1..64 bytes printable */
    const char *smsg = "ticket.called: data.staff: 1 to 64 bytes of printable characters";
    const char *sc = "{\"ticket\":\"A1\",\"window\":\"A05\"}";
    memset(big, 'W', 65);
    big[65] = '\0';
    expect_err(event_with("ticket.called", sc, "staff", json_string(big)), smsg);
    expect_err(event_with("ticket.called", sc, "staff", json_string("")), smsg);
    big[64] = '\0';
    o = event_with("ticket.called", sc, "staff", json_string(big));
    expect_ok(o, &ev);
    json_decref(o);
    big[0] = '\0';
    for (int i = 0; i < 22; i++) /* 66 bytes, 22 characters */
        strcat(big, "张");
    expect_err(event_with("ticket.called", sc, "staff", json_string(big)), smsg);
    expect_err(event_with("review.case", "{\"state\":\"closed\"}", "review", json_string("R\n1")),
               "review.case: data.review: 1 to 64 bytes of printable characters");

    /* reason / note: 500 bytes; reason is one line, note may have several */
    const char *sp = "{\"ticket\":\"A1\",\"window\":\"A05\"}";
    memset(big, 'r', 501);
    big[501] = '\0';
    expect_err(event_with("ticket.suspended", sp, "reason", json_string(big)),
               "ticket.suspended: data.reason: longer than 500 bytes");
    big[500] = '\0';
    o = event_with("ticket.suspended", sp, "reason", json_string(big));
    expect_ok(o, &ev);
    json_decref(o);
    expect_err(event_with("ticket.suspended", sp, "reason", json_string("a\nb")),
               "ticket.suspended: data.reason: control characters not allowed");
    expect_err(event_with("ticket.voided", "{\"ticket\":\"A1\"}", "reason", json_integer(3)),
               "ticket.voided: data.reason must be a string");
    big[500] = 'r';
    expect_err(event_with("review.case", "{\"review\":\"R1\",\"state\":\"closed\"}", "note",
                          json_string(big)),
               "review.case: data.note: longer than 500 bytes");

    /* URLs: 1024 bytes */
    const char *cs = "{\"camera\":\"C1\",\"status\":\"online\"}";
    strcpy(big, "rtsp://h/");
    memset(big + 9, 'p', 1024 - 9);
    big[1024] = '\0';
    o = event_with("camera.status", cs, "main", json_string(big));
    expect_ok(o, &ev);
    assert_int_equal(strlen(ev.main_url), 1024);
    json_decref(o);
    big[1024] = 'p';
    big[1025] = '\0';
    expect_err(event_with("camera.status", cs, "main", json_string(big)),
               "camera.status: data.main: longer than 1024 bytes");
    o = event_with("camera.status", cs, "sub", json_string("rtsps://cam/sub"));
    expect_ok(o, &ev);
    assert_string_equal(ev.sub_url, "rtsps://cam/sub");
    json_decref(o);
}

static void test_error_buffer(void **state)
{
    (void)state;
    /* a small err buffer is cut on a UTF-8 boundary */
    json_t *o =
        load("{\"hall\":\"临海临海临海\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}");
    ev_event ev;
    char err[32];
    assert_int_equal(ev_parse(&cfg, o, &ev, err, 22), -1);
    /* "hall: unknown hall '" is 20 bytes; a 3-byte character does not fit in the 1 left */
    assert_string_equal(err, "hall: unknown hall '");
    assert_int_equal(ev_parse(&cfg, o, &ev, err, 26), -1);
    assert_string_equal(err, "hall: unknown hall '临");
    assert_int_equal(ev_parse(&cfg, o, &ev, NULL, 0), -1);
    json_decref(o);
    /* control characters in a quoted value are shown as '?' */
    o = load("{\"hall\":\"LH\\u0007\",\"seq\":1,\"type\":\"hall.heartbeat\",\"at\":" AT "}");
    char big[256];
    assert_int_equal(ev_parse(&cfg, o, &ev, big, sizeof big), -1);
    assert_string_equal(big, "hall: unknown hall 'LH?'");
    json_decref(o);
}

static void test_utf8(void **state)
{
    (void)state;
#define V(s, nl) ev_utf8_valid(s, sizeof(s) - 1, nl)
    assert_true(V("", false));
    assert_true(V("A023", false));
    assert_true(V("临海 A05", false));
    assert_true(V("\xc2\xa0", false));         /* U+00A0 */
    assert_true(V("\xf0\x9f\x98\x80", false)); /* U+1F600 */
    assert_true(V("\xf4\x8f\xbf\xbf", false)); /* U+10FFFF */
    assert_true(V("\xef\xbf\xbd", false));     /* U+FFFD */
    assert_true(V("a\tb\r\nc", true));
    assert_false(V("a\tb", false));
    assert_false(V("a\nb", false));
    assert_false(V("a\x01", true));
    assert_false(V("a\x7f", true));
    assert_false(V("a\0b", true));
    assert_false(V("\xc2\x80", true));          /* C1 U+0080 */
    assert_false(V("\xc2\x9f", true));          /* C1 U+009F */
    assert_false(V("\xc0\xaf", false));         /* overlong '/' */
    assert_false(V("\xe0\x80\xaf", false));     /* overlong */
    assert_false(V("\xf0\x80\x80\xaf", false)); /* overlong */
    assert_false(V("\xed\xa0\x80", false));     /* surrogate U+D800 */
    assert_false(V("\xf4\x90\x80\x80", false)); /* U+110000 */
    assert_false(V("\xf5\x80\x80\x80", false));
    assert_false(V("\xe4\xb8", false)); /* truncated */
    assert_false(V("\x80", false));     /* lone continuation */
    assert_false(V("\xff", false));
    assert_false(V("\xe4\x41\x41", false));
#undef V
    assert_int_equal(ev_utf8_chars("临海A", strlen("临海A")), 3);
    assert_int_equal(ev_utf8_chars("", 0), 0);
    assert_int_equal(ev_utf8_chars("\xf0\x9f\x98\x80x", 5), 2);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const types[EV__COUNT] = {
        "ticket.issued",   "ticket.called",  "ticket.recalled",    "ticket.started",
        "ticket.finished", "ticket.no_show", "ticket.transferred", "ticket.suspended",
        "ticket.resumed",  "ticket.voided",  "window.opened",      "window.paused",
        "window.resumed",  "window.closed",  "review.submitted",   "review.case",
        "camera.status",   "hall.heartbeat",
    };
    for (int i = 0; i < EV__COUNT; i++) {
        assert_string_equal(ev_type_name((ev_type)i), types[i]);
        assert_int_equal(ev_type_from_name(types[i]), i);
    }
    assert_int_equal(ev_type_from_name("ticket.foo"), -1);
    assert_int_equal(ev_type_from_name("Ticket.called"), -1);
    assert_int_equal(ev_type_from_name(""), -1);
    assert_int_equal(ev_type_from_name(NULL), -1);
    assert_null(ev_type_name(EV__COUNT));
    assert_string_equal(ev_type_name(EV_TICKET_NO_SHOW), "ticket.no_show");

    assert_string_equal(ev_channel_name(EV_CH_KIOSK), "kiosk");
    assert_string_equal(ev_channel_name(EV_CH_ONLINE), "online");
    assert_null(ev_channel_name(5));
    assert_null(ev_channel_name(-1));
    assert_string_equal(ev_review_channel_name(EV_RCH_QRCODE), "qrcode");
    assert_string_equal(ev_review_channel_name(EV_RCH_HOTLINE), "hotline");
    assert_null(ev_review_channel_name(6));
    assert_string_equal(ev_priority_name(EV_PRIO_VIP), "vip");
    assert_string_equal(ev_priority_name(EV_PRIO_APPOINTMENT), "appointment");
    assert_string_equal(ev_result_name(EV_RES_CONSULT), "consult");
    assert_string_equal(ev_case_state_name(EV_CASE_APPEAL_REJECTED), "appeal_rejected");
    assert_string_equal(ev_case_state_name(EV_CASE_RECTIFYING), "rectifying");
    assert_string_equal(ev_cam_status_name(EV_CAM_UNKNOWN), "unknown");
    assert_string_equal(ev_cam_status_name(EV_CAM_NO_FRAME), "no_frame");
    assert_string_equal(ev_pause_reason_name(EV_PAUSE_LUNCH), "lunch");
    assert_string_equal(ev_pause_reason_name(EV_PAUSE_OTHER), "other");
    assert_null(ev_pause_reason_name(4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_called_all_fields),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_sizes_and_text),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
