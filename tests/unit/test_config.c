/* test_config: the YAML configuration loader (common/config.c, config_query.c).
 *
 * Loads config/demo.yaml and asserts facts of the demo city counted by hand from the file
 * (halls, windows, calendar, tokens, accounts), checks that every hall lies inside the
 * 临海 outline of assets/map/linhai.geojson, loads a small valid fixture to check defaults,
 * subtrees, hours and staffing, and loads broken fixtures whose exact error lines were
 * written by hand. Files are found through CW_SOURCE_DIR (set by CTest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *src_dir(void)
{
    const char *d = getenv("CW_SOURCE_DIR");
    return d && *d ? d : ".";
}

static char *src_path(const char *rel)
{
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", src_dir(), rel);
    return p;
}

static cfg_t *load_ok(const char *rel)
{
    char *errors = (char *)"unset";
    cfg_t *c = cfg_load(src_path(rel), &errors);
    if (!c) fprintf(stderr, "%s", errors ? errors : "(no errors)\n");
    assert_non_null(c);
    assert_null(errors);
    return c;
}

/* Loads fixture NAME, which must fail with exactly the lines "PATH" + suffixes[i]. */
static void expect_errors(const char *name, const char *const *suffixes)
{
    char rel[256], expected[8192] = "";
    snprintf(rel, sizeof rel, "tests/unit/fixtures/config/%s", name);
    const char *path = src_path(rel);
    for (int i = 0; suffixes[i]; i++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s\n", path,
                 suffixes[i]);
    char *errors = NULL;
    cfg_t *c = cfg_load(path, &errors);
    assert_null(c);
    assert_non_null(errors);
    assert_string_equal(errors, expected);
    free(errors);
}

static int hall(const cfg_t *c, const char *id)
{
    int i = cfg_hall_index(c, id);
    assert_true(i >= 0);
    return i;
}

/* ---- the demo city ---- */

static void test_demo_registry(void **state)
{
    (void)state;
    cfg_t *c = load_ok("config/demo.yaml");
    assert_string_equal(c->city.code, "331082");
    assert_string_equal(c->city.name, "临海市");
    assert_string_equal(c->city.timezone, "Asia/Shanghai");
    assert_int_equal(c->nhalls, 20);
    assert_string_equal(c->halls[0].id, "LH-00");
    assert_string_equal(c->halls[19].id, "LH-19");
    assert_int_equal(c->halls[0].level, CFG_LEVEL_CITY);
    assert_int_equal(c->halls[0].parent_index, -1);
    for (int i = 1; i < 20; i++) {
        assert_int_equal(c->halls[i].level, CFG_LEVEL_TOWN);
        assert_int_equal(c->halls[i].parent_index, 0);
        assert_string_equal(c->halls[i].parent, "LH-00");
    }
    assert_string_equal(c->halls[hall(c, "LH-03")].name, "江南街道便民服务中心");
    assert_string_equal(c->halls[hall(c, "LH-17")].name, "杜桥镇便民服务中心");
    assert_string_equal(c->halls[hall(c, "LH-19")].name, "桃渚镇便民服务中心");

    const cfg_hall *h0 = &c->halls[0];
    assert_string_equal(h0->name, "临海市行政服务中心");
    assert_int_equal(h0->nwindows, 40);
    assert_int_equal(h0->nbiz, 8);
    assert_int_equal(h0->ncameras, 14);
    assert_int_equal(h0->nstaff, 43); /* 40 windows + 3 spares, each with a name */
    assert_int_equal(h0->nstaffing, 3);
    int w = cfg_window_index(h0, "H01");
    assert_int_equal(w, 36);
    assert_int_equal(h0->windows[w].nbiz, 3);
    assert_int_equal(h0->windows[w].biz[0], cfg_biz_index(h0, "H"));
    assert_int_equal(h0->windows[w].biz[1], cfg_biz_index(h0, "A"));
    assert_int_equal(h0->windows[w].biz[2], cfg_biz_index(h0, "B"));
    assert_int_equal(h0->windows[w].ncameras, 1);
    assert_int_equal(h0->windows[w].cameras[0], cfg_camera_index(h0, "LH-00-CAM-W10"));
    int b = cfg_biz_index(h0, "C");
    assert_string_equal(h0->biz[b].category, "real-estate");
    assert_int_equal(h0->biz[b].sla_s, 45 * 60);
    assert_int_equal(h0->biz[cfg_biz_index(h0, "A")].sla_s, 1800);
    int cam = cfg_camera_index(h0, "LH-00-CAM-S01");
    assert_int_equal(h0->cameras[cam].area, CFG_AREA_SELF_SERVICE);
    assert_null(h0->cameras[cam].main_url);
    assert_string_equal(h0->staff[cfg_staff_index(h0, "W1001")].name, "张丽");

    int windows = 0, cameras = 0, areas[5] = {0};
    for (int i = 0; i < c->nhalls; i++) {
        windows += c->halls[i].nwindows;
        cameras += c->halls[i].ncameras;
        for (int k = 0; k < c->halls[i].ncameras; k++)
            areas[c->halls[i].cameras[k].area]++;
        assert_true(c->halls[i].nbiz >= 3 && c->halls[i].nbiz <= 8);
        for (int bz = 0; bz < c->halls[i].nbiz; bz++) { /* every queue has a window */
            int serving = 0;
            for (int k = 0; k < c->halls[i].nwindows; k++)
                for (int j = 0; j < c->halls[i].windows[k].nbiz; j++)
                    serving += c->halls[i].windows[k].biz[j] == bz;
            assert_true(serving > 0);
        }
    }
    assert_int_equal(windows, 146);
    assert_int_equal(cameras, 74);
    assert_int_equal(areas[CFG_AREA_WINDOW], 30);
    assert_int_equal(areas[CFG_AREA_WAITING], 21);
    assert_int_equal(areas[CFG_AREA_ENTRANCE], 20);
    assert_int_equal(areas[CFG_AREA_SELF_SERVICE], 3);
    assert_int_equal(c->halls[hall(c, "LH-03")].nwindows, 8);
    assert_int_equal(c->halls[hall(c, "LH-17")].nwindows, 10);

    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(c->db_path, "var/demo.db");
    assert_int_equal(c->limits.max_conns_per_addr, 20000);
    assert_true(c->limits.ingest_rate == 0);
    assert_int_equal(c->case_contact_days, 1);
    assert_int_equal(c->case_rectify_days, 15);
    assert_int_equal(c->nwebhooks, 0);
    cfg_free(c);
}

static void test_demo_calendar(void **state)
{
    (void)state;
    cfg_t *c = load_ok("config/demo.yaml");
    /* 2026: 1-04 Sun make-up; 10-01 Thu holiday; 11-23 Mon ordinary; 2-14 Sat make-up;
     * 2-16 Mon 春节; 11-21 Sat ordinary weekend; 10-08 Thu after 国庆. */
    assert_true(cfg_is_workday(c, 20260104, 6));
    assert_false(cfg_is_workday(c, 20261001, 3));
    assert_true(cfg_is_workday(c, 20261123, 0));
    assert_true(cfg_is_workday(c, 20260214, 5));
    assert_false(cfg_is_workday(c, 20260216, 0));
    assert_false(cfg_is_workday(c, 20261121, 5));
    assert_true(cfg_is_workday(c, 20261008, 3));
    assert_false(cfg_is_workday(c, 20261007, 2));
    assert_true(cfg_is_workday(c, 20261010, 5));
    assert_false(cfg_is_workday(c, 20260619, 4));

    const cfg_hall *h0 = &c->halls[0], *h6 = &c->halls[hall(c, "LH-06")],
                   *h1 = &c->halls[hall(c, "LH-01")];
    cfg_span s = cfg_hall_hours(c, h0, 20261123, 0);
    assert_int_equal(s.from_min, 8 * 60 + 30);
    assert_int_equal(s.to_min, 17 * 60);
    s = cfg_hall_hours(c, h0, 20261121, 5); /* 周六延时服务 */
    assert_int_equal(s.from_min, 9 * 60);
    assert_int_equal(s.to_min, 12 * 60);
    s = cfg_hall_hours(c, h0, 20260221, 5); /* a Saturday inside 春节 */
    assert_int_equal(s.to_min - s.from_min, 0);
    s = cfg_hall_hours(c, h0, 20260214, 5); /* make-up Saturday: Monday's hours */
    assert_int_equal(s.from_min, 8 * 60 + 30);
    assert_int_equal(s.to_min, 17 * 60);
    s = cfg_hall_hours(c, h1, 20261121, 5);
    assert_int_equal(s.to_min - s.from_min, 0);
    s = cfg_hall_hours(c, h6, 20261123, 0);
    assert_int_equal(s.to_min, 16 * 60 + 30);

    assert_true(cfg_hall_open(c, h0, 20261123, 0, 8 * 60 + 30));
    assert_false(cfg_hall_open(c, h0, 20261123, 0, 8 * 60 + 29));
    assert_false(cfg_hall_open(c, h0, 20261123, 0, 12 * 60 + 30)); /* lunch */
    assert_true(cfg_hall_open(c, h0, 20261123, 0, 13 * 60 + 30));
    assert_false(cfg_hall_open(c, h0, 20261123, 0, 17 * 60));
    assert_false(cfg_hall_open(c, h0, 20261001, 3, 10 * 60));

    assert_int_equal(cfg_hall_planned(c, h0, 20261123, 0, 9 * 60), 36);
    assert_int_equal(cfg_hall_planned(c, h0, 20261123, 0, 14 * 60), 30);
    assert_int_equal(cfg_hall_planned(c, h0, 20261123, 0, 12 * 60 + 30), 0);
    assert_int_equal(cfg_hall_planned(c, h0, 20261121, 5, 10 * 60), 12);
    assert_int_equal(cfg_hall_planned(c, h0, 20260214, 5, 10 * 60), 36);
    assert_int_equal(cfg_hall_planned(c, h0, 20261122, 6, 10 * 60), 0);
    assert_int_equal(cfg_hall_planned(c, h1, 20261123, 0, 16 * 60 + 45), 5);
    assert_int_equal(cfg_hall_planned(c, h1, 20261123, 0, 9 * 60), 6);
    assert_int_equal(cfg_hall_planned(c, h6, 20261123, 0, 16 * 60 + 45), 0);
    cfg_free(c);
}

static void test_demo_credentials(void **state)
{
    (void)state;
    cfg_t *c = load_ok("config/demo.yaml");
    assert_true(c->demo_credentials);
    assert_int_equal(c->ntokens, 3);
    int lh03 = hall(c, "LH-03"), lh05 = hall(c, "LH-05"), lh17 = hall(c, "LH-17");

    int t = cfg_token_find(c, "demo-LH-03");
    assert_true(t >= 0);
    assert_string_equal(c->tokens[t].name, "demo-LH-03");
    assert_true(cfg_token_may_write(&c->tokens[t], lh03));
    assert_false(cfg_token_may_write(&c->tokens[t], lh05));
    assert_false(cfg_token_may_write(&c->tokens[t], 0));

    t = cfg_token_find(c, "demo-hall");
    assert_true(t >= 0);
    assert_true(c->tokens[t].all_halls);
    assert_true(cfg_token_may_write(&c->tokens[t], lh17));
    assert_true(cfg_token_may_write(&c->tokens[t], 0));

    t = cfg_token_find(c, "demo-wall");
    assert_true(t >= 0);
    assert_int_equal(c->tokens[t].role, CFG_ROLE_WALL);
    assert_false(cfg_token_may_write(&c->tokens[t], lh03));

    assert_int_equal(cfg_token_find(c, "demo-lh-03"), -1);
    assert_int_equal(cfg_token_find(c, ""), -1);

    const char *users[3] = {"admin", "city", "lh03"};
    const int roles[3] = {CFG_ROLE_ADMIN, CFG_ROLE_CITY, CFG_ROLE_HALL};
    assert_true(sodium_init() >= 0);
    for (int i = 0; i < 3; i++) {
        int a = cfg_account_index(c, users[i]);
        assert_true(a >= 0);
        assert_int_equal(c->accounts[a].role, roles[i]);
        assert_int_equal(
            crypto_pwhash_str_verify(c->accounts[a].pwhash, users[i], strlen(users[i])), 0);
        assert_int_not_equal(crypto_pwhash_str_verify(c->accounts[a].pwhash, "wrong", 5), 0);
    }
    int a = cfg_account_index(c, "lh03");
    assert_int_equal(c->accounts[a].nhalls, 1);
    assert_int_equal(c->accounts[a].halls[0], lh03);
    assert_int_equal(cfg_account_index(c, "nobody"), -1);
    cfg_free(c);
}

static void test_demo_lexicon(void **state)
{
    (void)state;
    cfg_t *c = load_ok("config/demo.yaml");
    static const struct {
        const char *cat;
        int weight;
        const char *terms[4];
    } want[] = {
        {"人身安全", 10, {"自杀", "跳楼", "轻生", NULL}},
        {"群体性", 8, {"集体", "拉横幅", "聚集", "讨薪"}},
        {"舆情", 6, {"记者", "媒体", "曝光", "网上"}},
        {"涉访涉诉", 6, {"上访", "信访", "起诉", NULL}},
        {"公共安全", 10, {"燃气泄漏", "火灾", NULL, NULL}},
        {"作风", 4, {"吃拿卡要", "态度恶劣", "推诿", NULL}},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        int ncat = 0;
        for (int i = 0; i < c->nlexicon; i++)
            ncat += !strcmp(c->lexicon[i].category, want[k].cat);
        assert_true(ncat >= 5);
        for (int j = 0; j < 4 && want[k].terms[j]; j++) {
            int found = -1;
            for (int i = 0; i < c->nlexicon; i++)
                if (!strcmp(c->lexicon[i].term, want[k].terms[j])) found = i;
            assert_true(found >= 0);
            assert_string_equal(c->lexicon[found].category, want[k].cat);
            assert_int_equal(c->lexicon[found].weight, want[k].weight);
        }
    }
    cfg_free(c);
}

/* Even-odd rule on one ring of [lng, lat] pairs. */
static bool in_ring(json_t *ring, double lng, double lat)
{
    bool in = false;
    size_t n = json_array_size(ring);
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = json_number_value(json_array_get(json_array_get(ring, i), 0));
        double yi = json_number_value(json_array_get(json_array_get(ring, i), 1));
        double xj = json_number_value(json_array_get(json_array_get(ring, j), 0));
        double yj = json_number_value(json_array_get(json_array_get(ring, j), 1));
        if ((yi > lat) != (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static void test_demo_halls_inside_outline(void **state)
{
    (void)state;
    cfg_t *c = load_ok("config/demo.yaml");
    json_error_t err;
    json_t *gj = json_load_file(src_path("assets/map/linhai.geojson"), 0, &err);
    assert_non_null(gj);
    json_t *f = json_array_get(json_object_get(gj, "features"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(f, "properties"), "name")), "临海市");
    json_t *geom = json_object_get(f, "geometry");
    assert_string_equal(json_string_value(json_object_get(geom, "type")), "MultiPolygon");
    json_t *polys = json_object_get(geom, "coordinates");
    for (int h = 0; h < c->nhalls; h++) {
        bool inside = false;
        size_t p;
        json_t *poly;
        json_array_foreach(polys, p, poly)
        {
            if (!in_ring(json_array_get(poly, 0), c->halls[h].lng, c->halls[h].lat)) continue;
            bool hole = false;
            for (size_t r = 1; r < json_array_size(poly); r++)
                hole = hole || in_ring(json_array_get(poly, r), c->halls[h].lng, c->halls[h].lat);
            inside = inside || !hole;
        }
        if (!inside)
            fprintf(stderr, "%s (%.3f, %.3f) is outside the outline\n", c->halls[h].id,
                    c->halls[h].lat, c->halls[h].lng);
        assert_true(inside);
    }
    json_decref(gj);
    cfg_free(c);
}

/* ---- a small valid fixture ---- */

static void test_valid_defaults(void **state)
{
    (void)state;
    cfg_t *c = load_ok("tests/unit/fixtures/config/valid.yaml");
    assert_false(c->demo_credentials);
    assert_string_equal(c->listen, "127.0.0.1:8080");
    assert_string_equal(c->db_path, "var/citywall.db");
    assert_string_equal(c->city.timezone, "Asia/Shanghai");
    assert_int_equal(c->tick_ms, 50);
    assert_int_equal(c->db_cache_mib, 64);
    assert_int_equal(c->retention_days, 400);
    assert_int_equal(c->session_idle_s, 8 * 3600);
    assert_int_equal(c->session_absolute_s, 24 * 3600);
    assert_int_equal(c->limits.max_batch_events, 5000);
    assert_int_equal(c->limits.max_body_bytes, 4194304);
    assert_int_equal(c->limits.max_ws_message, 1048576);
    assert_int_equal(c->limits.max_conns_per_addr, 256);
    assert_true(c->limits.ingest_rate == 0);
    assert_int_equal(c->limits.login_attempts, 5);
    assert_int_equal(c->limits.login_lockout_s, 300);
    assert_int_equal(c->limits.client_buffer, 1048576);
    assert_int_equal(c->case_contact_days, 1);
    assert_int_equal(c->case_rectify_days, 15);
    assert_int_equal(c->norigins, 0);
    assert_null(c->tls_cert);
    assert_int_equal(c->nwebhooks, 1);
    assert_string_equal(c->webhooks[0], "http://127.0.0.1:9099/hook");

    const cfg_hall *h0 = &c->halls[0];
    assert_int_equal(h0->biz[0].sla_s, 1800);
    assert_int_equal(h0->biz[1].sla_s, 1200);
    assert_int_equal(h0->biz[2].sla_s, 90);
    assert_int_equal(h0->windows[2].nbiz, 3);
    assert_int_equal(h0->windows[2].ncameras, 2);
    assert_int_equal(h0->windows[2].cameras[1], 1);
    assert_int_equal(h0->windows[1].ncameras, 0);
    assert_string_equal(h0->cameras[0].sub_url, "rtsp://127.0.0.1:8554/c1s");
    assert_int_equal(h0->cameras[1].area, CFG_AREA_BACK_OFFICE);
    assert_int_equal(c->halls[2].parent_index, 1);
    assert_int_equal(c->halls[3].parent_index, 0);
    assert_true(c->halls[3].lat < -28.69 && c->halls[3].lat > -28.71);

    /* holidays 10-01..10-07 and 12-25 (8 days), one make-up day */
    assert_int_equal(c->city.calendar.nholidays, 8);
    assert_int_equal(c->city.calendar.holidays[0], 20261001);
    assert_int_equal(c->city.calendar.holidays[7], 20261225);
    assert_int_equal(c->city.calendar.nworkdays, 1);

    /* a county manager sees the county and the town below it */
    int a = cfg_account_index(c, "county");
    assert_int_equal(c->accounts[a].nhalls, 2);
    assert_int_equal(c->accounts[a].halls[0], 1);
    assert_int_equal(c->accounts[a].halls[1], 2);
    a = cfg_account_index(c, "boss");
    assert_int_equal(c->accounts[a].nhalls, 0);

    /* the token whose hash is read from token.sha256 writes H1 and H3, not H0 or H2 */
    int t = cfg_token_find(c, "t-file");
    assert_int_equal(t, 0);
    assert_false(c->tokens[t].all_halls);
    assert_false(cfg_token_may_write(&c->tokens[t], 0));
    assert_true(cfg_token_may_write(&c->tokens[t], 1));
    assert_false(cfg_token_may_write(&c->tokens[t], 2));
    assert_true(cfg_token_may_write(&c->tokens[t], 3));
    assert_int_equal(cfg_token_find(c, "t-reader"), 1);
    assert_int_equal(cfg_token_find(c, "t-none"), -1);

    assert_int_equal(c->nlexicon, 2);
    assert_string_equal(c->lexicon[1].term, "刁难");
    assert_string_equal(c->lexicon[1].category, "作风");
    assert_int_equal(c->lexicon[1].weight, 4);
    cfg_free(c);
}

static void test_valid_hours(void **state)
{
    (void)state;
    cfg_t *c = load_ok("tests/unit/fixtures/config/valid.yaml");
    const cfg_hall *h0 = &c->halls[0], *h1 = &c->halls[1];
    /* 2026-10-09 Fri: 09:00-12:00, no lunch; the mon,wed entry does not apply */
    cfg_span s = cfg_hall_hours(c, h0, 20261009, 4);
    assert_int_equal(s.from_min, 540);
    assert_int_equal(s.to_min, 720);
    assert_int_equal(cfg_hall_planned(c, h0, 20261009, 4, 9 * 60 + 30), 3);
    assert_int_equal(cfg_hall_planned(c, h0, 20261009, 4, 10 * 60 + 30), 2);
    assert_int_equal(cfg_hall_planned(c, h0, 20261009, 4, 12 * 60 + 30), 0);
    /* 2026-10-10 Sat, make-up day: Monday's hours, lunch and plan */
    assert_true(cfg_is_workday(c, 20261010, 5));
    s = cfg_hall_hours(c, h0, 20261010, 5);
    assert_int_equal(s.from_min, 540);
    assert_int_equal(s.to_min, 1020);
    assert_int_equal(cfg_hall_planned(c, h0, 20261010, 5, 9 * 60 + 30), 1);
    assert_int_equal(cfg_hall_planned(c, h0, 20261010, 5, 11 * 60), 2);
    assert_false(cfg_hall_open(c, h0, 20261010, 5, 12 * 60 + 30));
    assert_int_equal(cfg_hall_planned(c, h0, 20261010, 5, 14 * 60), 3);
    /* 2026-10-13 Tue: the mon,wed entry does not apply at 09:30 */
    assert_int_equal(cfg_hall_planned(c, h0, 20261013, 1, 9 * 60 + 30), 3);
    assert_int_equal(cfg_hall_planned(c, h0, 20261014, 2, 9 * 60 + 30), 1);
    /* H1 is open on weekends only: Sunday 10-11 yes, Sunday 10-04 (a holiday) no */
    assert_true(cfg_hall_open(c, h1, 20261011, 6, 10 * 60));
    assert_int_equal(cfg_hall_planned(c, h1, 20261011, 6, 10 * 60), 1);
    assert_false(cfg_hall_open(c, h1, 20261004, 6, 10 * 60));
    assert_false(cfg_hall_open(c, h1, 20261012, 0, 10 * 60));
    assert_false(cfg_is_workday(c, 20261225, 4));
    s = cfg_hall_hours(c, h0, 20261225, 4);
    assert_int_equal(s.to_min - s.from_min, 0);
    cfg_free(c);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cfg_level_name(CFG_LEVEL_CITY), "city");
    assert_string_equal(cfg_level_name(CFG_LEVEL_VILLAGE), "village");
    assert_string_equal(cfg_role_name(CFG_ROLE_ADMIN), "admin");
    assert_string_equal(cfg_role_name(CFG_ROLE_WALL), "wall");
    assert_string_equal(cfg_area_name(CFG_AREA_SELF_SERVICE), "self_service");
    assert_string_equal(cfg_area_name(CFG_AREA_BACK_OFFICE), "back_office");
    assert_string_equal(cfg_area_name(99), "unknown");
}

/* ---- the alerts section ---- */

static void test_alerts_section(void **state)
{
    (void)state;
    /* without a section: the SPEC §6 defaults */
    cfg_t *c = load_ok("tests/unit/fixtures/config/valid.yaml");
    assert_int_equal(c->alerts.group_wait_s, 10);
    assert_int_equal(c->alerts.startup_grace_s, 10);
    assert_null(c->alerts.external_url);
    assert_int_equal(c->alerts.nscopes, 0);
    assert_true(cfg_alert_param(c, CFG_R1, 0, "A", CFG_P_FIRST) == 30);     /* p3_min */
    assert_true(cfg_alert_param(c, CFG_R1, 0, "A", CFG_P_FIRST + 1) == 60); /* p2_min */
    assert_true(cfg_alert_param(c, CFG_R1, 0, "A", CFG_P_FOR_S) == 0);
    assert_true(cfg_alert_param(c, CFG_R1, 0, "A", CFG_P_KEEP_S) == 120);
    assert_true(cfg_alert_param(c, CFG_R2, 0, NULL, CFG_P_FOR_S) == 120);
    assert_true(cfg_alert_param(c, CFG_R10, 0, NULL, CFG_P_KEEP_S) == 0);
    assert_true(cfg_alert_param(c, CFG_R15, 0, NULL, CFG_P_FIRST) == 5);
    assert_true(cfg_alert_param(c, CFG_R13, 0, NULL, CFG_P_ENABLED) == 1);
    assert_string_equal(cfg_rule_name(CFG_R12), "R12");
    assert_string_equal(cfg_rule_name(CFG_H2), "H2");
    assert_int_equal(cfg_rule_index("R15"), CFG_R15);
    /* R16 (a province hub's silent city, after H4): silent_s 60, resolves at once */
    assert_int_equal(cfg_rule_index("R16"), CFG_R16);
    assert_true(cfg_alert_param(c, CFG_R16, -1, NULL, CFG_P_FIRST) == 60);
    assert_true(cfg_alert_param(c, CFG_R16, -1, NULL, CFG_P_KEEP_S) == 0);
    assert_int_equal(cfg_rule_index("R17"), -1);
    assert_string_equal(cfg_rule_param_name(CFG_R4, CFG_P_FIRST + 1), "min_calls");
    assert_string_equal(cfg_rule_param_name(CFG_R4, CFG_P_KEEP_S), "keep_firing_for");
    assert_null(cfg_rule_param_name(CFG_R4, CFG_P_FIRST + 2));
    cfg_free(c);

    c = load_ok("tests/unit/fixtures/config/alerts.yaml");
    int h0 = hall(c, "H0"), h1 = hall(c, "H1");
    assert_int_equal(c->alerts.group_wait_s, 5);
    assert_int_equal(c->alerts.startup_grace_s, 0);
    assert_string_equal(c->alerts.external_url, "https://wall.example.org");
    /* R1 p3_min: city 20; biz type B 15; hall H1 has none of its own at hall level; (H1, A) 40 */
    assert_true(cfg_alert_param(c, CFG_R1, h0, "A", CFG_P_FIRST) == 20);
    assert_true(cfg_alert_param(c, CFG_R1, h0, "B", CFG_P_FIRST) == 15);
    assert_true(cfg_alert_param(c, CFG_R1, h1, "A", CFG_P_FIRST) == 40);
    /* R1 p2_min: city 45, hall H1 50 (also for its biz A, which sets only p3_min) */
    assert_true(cfg_alert_param(c, CFG_R1, h0, "A", CFG_P_FIRST + 1) == 45);
    assert_true(cfg_alert_param(c, CFG_R1, h1, "A", CFG_P_FIRST + 1) == 50);
    assert_true(cfg_alert_param(c, CFG_R1, h1, NULL, CFG_P_FIRST + 1) == 50);
    /* keep_firing_for: 3m = 180 s; R2 for 90s and share 0.25 */
    assert_true(cfg_alert_param(c, CFG_R1, h0, "A", CFG_P_KEEP_S) == 180);
    assert_true(cfg_alert_param(c, CFG_R2, h0, NULL, CFG_P_FOR_S) == 90);
    assert_true(cfg_alert_param(c, CFG_R2, h0, NULL, CFG_P_FIRST + 1) == 0.25);
    assert_true(cfg_alert_param(c, CFG_R2, h0, NULL, CFG_P_FIRST) == 5); /* default */
    /* R8 at H1: ratio 0.5, for 0; elsewhere 0.8 and 600 s (SPEC: for >= 10 min) */
    assert_true(cfg_alert_param(c, CFG_R8, h1, NULL, CFG_P_FIRST) == 0.5);
    assert_true(cfg_alert_param(c, CFG_R8, h1, NULL, CFG_P_FOR_S) == 0);
    assert_true(cfg_alert_param(c, CFG_R8, h0, NULL, CFG_P_FIRST) == 0.8);
    assert_true(cfg_alert_param(c, CFG_R8, h0, NULL, CFG_P_FOR_S) == 600);
    assert_true(cfg_alert_param(c, CFG_R13, h0, NULL, CFG_P_ENABLED) == 0);
    assert_true(cfg_alert_param(c, CFG_H2, -1, NULL, CFG_P_FIRST) == 1.5);
    cfg_free(c);
}

static void test_err_escalation(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":14: alerts.escalation.city[0]: bad URL 'ftp://city.example/hook' (expected "
        "http[s]://...)",
        ":16: alerts.escalation.boss: unknown key",
        ":19: alerts.escalation.policies[1].rule: unknown rule 'R99' (expected R1..R15 or H1..H4)",
        ":20: alerts.escalation.policies[2].severity: expected P1, P2, P3 or P4, got 'P5'",
        ":21: alerts.escalation.policies[3].after_days: give one of after_min, after_h, after_days",
        ":22: alerts.escalation.policies[4]: missing after_min, after_h or after_days",
        ":24: alerts.duty.H9: unknown hall 'H9' (or city, leader)",
        ":25: alerts.duty.H0[0].name: required field missing",
        ":25: alerts.duty.H0[1].hours: span '18:00-09:00' ends before it starts",
        ":26: alerts.duty.city[0].pager: unknown key",
        NULL,
    };
    expect_errors("err_escalation.yaml", want);
}

static void test_err_route(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":15: alerts.receivers[1].type: unknown type 'dingding' (expected alertmanager, json, "
        "dingtalk, wecom, feishu)",
        ":16: alerts.receivers[2].url: bad URL 'ftp://x/' (expected http[s]://...)",
        ":16: alerts.receivers[2].quiet: expected HH:MM-HH:MM, got '25:00-07:00'",
        ":16: alerts.receivers[2].name: receiver 'am' listed twice",
        ":19: alerts.route.group_by[1]: expected hall, alertname (rule) or severity, got 'colour'",
        ":20: alerts.route.group_wait: expected a duration (seconds, or a number with s, m or h), "
        "got 'soon'",
        ":22: alerts.route.routes[0].receiver: unknown receiver 'nobody' (see alerts.receivers)",
        ":22: alerts.route.routes[0].match.hall: unknown hall 'H9'",
        ":23: alerts.route.routes[1].match.severity: expected P1, P2, P3 or P4, got 'P7'",
        ":23: alerts.route.routes[1].match.level: expected city, county, town or village, got "
        "'province'",
        ":23: alerts.route.routes[1].continue: expected true or false",
        NULL,
    };
    expect_errors("err_route.yaml", want);
}

static void test_err_alerts(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":13: alerts.group_wait_s: -1 out of range 0..3600",
        ":14: alerts.colour: unknown key",
        ":16: alerts.rules.R99: unknown rule (expected R1..R15 or H1..H4)",
        ":17: alerts.rules.R1.p4_min: unknown key",
        ":17: alerts.rules.R1.p3_min: expected a number, got 'abc'",
        ":18: alerts.rules.R2.share: 1.5 out of range 0..1",
        ":19: alerts.rules.R3.for: expected a duration (seconds, or a number with s, m or h), "
        "got '2 weeks'",
        ":20: alerts.rules.R4.enabled: expected true or false",
        ":22: alerts.biz.Z: no hall has biz type 'Z'",
        ":24: alerts.halls.H9: unknown hall 'H9'",
        ":26: alerts.halls.H0.biz.Q: unknown biz 'Q' for hall H0",
        NULL,
    };
    expect_errors("err_alerts.yaml", want);
}

/* ---- broken fixtures ---- */

static void test_err_unknown_key(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":5: city.colour: unknown key",
        ":11: halls[0].biz[0].sla: unknown key",
        ":13: extra: unknown key",
        NULL,
    };
    expect_errors("err_unknown_key.yaml", want);
}

/* server.db_cache_mib: sqlite's page cache per connection, 1 MiB .. 4 GiB */
static void test_err_server(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":2: server.db_cache_mib: 0 out of range 1..4096",
        NULL,
    };
    expect_errors("err_server.yaml", want);
}

/* cluster.public_urls: origins only (the Origin rule compares them as they are) */
static void test_err_public_urls(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":16: cluster.public_urls[1]: bad hub URL 'http://10.0.0.2:8080/' (expected an origin: "
        "http[s]://host[:port], no path)",
        ":17: cluster.public_urls[2]: bad hub URL 'http://10.0.0.3:8080/live' (expected an "
        "origin: http[s]://host[:port], no path)",
        ":18: cluster.public_urls[3]: bad hub URL 'ws://10.0.0.4:8080' (expected an origin: "
        "http[s]://host[:port], no path)",
        NULL,
    };
    expect_errors("err_public_urls.yaml", want);
}

static void test_err_missing(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":6: halls[0].name: required field missing",
        ":8: halls[0].location.lng: required field missing",
        ":10: halls[0].biz[0].category: required field missing",
        ":12: halls[0].windows[0].biz: required field missing",
        NULL,
    };
    expect_errors("err_missing.yaml", want);
}

static void test_err_category(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":14: halls[0].biz[1].category: unknown category 'taxx'",
        NULL,
    };
    expect_errors("err_category.yaml", want);
}

static void test_err_unknown_biz(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":16: halls[0].windows[1].biz[1]: unknown biz 'Z'",
        ":17: halls[0].windows[1].cameras[0]: unknown camera 'CAM9'",
        NULL,
    };
    expect_errors("err_unknown_biz.yaml", want);
}

static void test_err_time(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":6: city.hours.mon-fri.open: span '17:00-08:30' ends before it starts",
        ":7: city.hours.sat: bad time span '9:00-12:00' (expected HH:MM-HH:MM)",
        ":16: halls[0].staffing[0].from: bad time '25:00' (expected HH:MM, 00:00..24:00)",
        ":17: halls[0].staffing[1].to: must be after from",
        ":17: halls[0].staffing[1].windows: 2 exceeds the hall's window count (1)",
        NULL,
    };
    expect_errors("err_time.yaml", want);
}

static void test_err_duplicate(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":14: halls[0].windows[2].id: duplicate id 'A01'",
        ":15: halls[1].id: duplicate id 'H0'",
        NULL,
    };
    expect_errors("err_duplicate.yaml", want);
}

static void test_err_sha256(void **state)
{
    (void)state;
    static const char *const want[] = {
        ":13: tokens[0].sha256: expected 64 hex digits (sha256 of the token)",
        ":14: tokens[1].sha256: expected 64 hex digits (sha256 of the token)",
        ":15: tokens[2].halls[0]: unknown hall 'H9'",
        ":15: tokens[2].sha256: required field missing",
        ":17: accounts[0].password_hash: expected an Argon2id hash ($argon2id$...)",
        NULL,
    };
    expect_errors("err_sha256.yaml", want);
}

static void test_err_yaml(void **state)
{
    (void)state;
    static const char *const dup[] = {":3: yaml: duplicate key", NULL};
    expect_errors("err_yaml.yaml", dup);
    static const char *const empty[] = {":1: (root): no YAML document in the file", NULL};
    expect_errors("empty.yaml", empty);
    static const char *const none[] = {":1: file: cannot open: No such file or directory", NULL};
    expect_errors("does-not-exist.yaml", none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_registry),
        cmocka_unit_test(test_demo_calendar),
        cmocka_unit_test(test_demo_credentials),
        cmocka_unit_test(test_demo_lexicon),
        cmocka_unit_test(test_demo_halls_inside_outline),
        cmocka_unit_test(test_valid_defaults),
        cmocka_unit_test(test_valid_hours),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_alerts_section),
        cmocka_unit_test(test_err_alerts),
        cmocka_unit_test(test_err_escalation),
        cmocka_unit_test(test_err_route),
        cmocka_unit_test(test_err_unknown_key),
        cmocka_unit_test(test_err_server),
        cmocka_unit_test(test_err_public_urls),
        cmocka_unit_test(test_err_missing),
        cmocka_unit_test(test_err_category),
        cmocka_unit_test(test_err_unknown_biz),
        cmocka_unit_test(test_err_time),
        cmocka_unit_test(test_err_duplicate),
        cmocka_unit_test(test_err_sha256),
        cmocka_unit_test(test_err_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
