/* Unit tests for geo (city outline, point in polygon, distance) and cfg_warnings: a hall whose
 * location lies outside the city outline named by city.map is reported by --check-config
 * (issue 12: a hall 1,100 km outside the city was accepted silently). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "geo.h"

static char src[1024];

static void path_of(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", src, rel);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A unit square lng 0..1, lat 0..1 with a square hole 0.4..0.6. */
static void test_square_with_hole(void **state)
{
    (void)state;
    char path[] = "/tmp/cw-geo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":["
                     "[[0,0],[1,0],[1,1],[0,1],[0,0]],"
                     "[[0.4,0.4],[0.6,0.4],[0.6,0.6],[0.4,0.6],[0.4,0.4]]]}}");
    char err[256];
    geo_outline *g = geo_load(path, err, sizeof err);
    assert_non_null(g);
    assert_int_equal(geo_rings(g), 2);
    assert_int_equal(geo_points(g), 10);
    assert_true(geo_contains(g, 0.2, 0.2));
    assert_false(geo_contains(g, 0.5, 0.5)); /* in the hole */
    assert_false(geo_contains(g, 1.5, 0.5));
    assert_false(geo_contains(g, -0.1, 0.9));
    /* (2, 0.5): 1 degree of longitude east of the edge at lat 0.5:
     * 6371.0088 km x pi/180 x cos(0.5 deg) = 111.1908 km */
    assert_float_equal(geo_edge_km(g, 2, 0.5), 111.1908, 0.01);
    /* the hole's edge from its centre: 0.1 deg of latitude = 11.1195 km (x: 0.1 cos 0.5 deg
     * is a little less: 11.1191 km, the nearest) */
    assert_float_equal(geo_edge_km(g, 0.5, 0.5), 11.1191, 0.01);
    geo_free(g);
    write_file(path, "{\"type\":\"Point\",\"coordinates\":[1,2]}");
    assert_null(geo_load(path, err, sizeof err));
    assert_non_null(strstr(err, "no Polygon"));
    unlink(path);
    assert_null(geo_load(path, err, sizeof err));
}

/* The demo city's outline: every demo hall inside; a point 9.73 degrees north of its
 * northernmost vertex (121.08887, 29.06641) is (38.8 - 29.06641) x 111.1951 = 1082.3 km away. */
static void test_linhai(void **state)
{
    (void)state;
    char path[1100], err[256];
    path_of(path, sizeof path, "assets/map/linhai.geojson");
    geo_outline *g = geo_load(path, err, sizeof err);
    if (!g) fail_msg("%s", err);
    assert_true(geo_rings(g) >= 23);               /* the mainland and its islands */
    assert_true(geo_contains(g, 121.145, 28.858)); /* 临海市行政服务中心 */
    assert_false(geo_contains(g, 121.08887, 38.8));
    assert_float_equal(geo_edge_km(g, 121.08887, 38.8), 1082.3, 0.2);
    geo_free(g);
}

static char *load_with(const char *from, const char *to, char *tmp, size_t tn)
{
    char demo[1100];
    path_of(demo, sizeof demo, "config/demo.yaml");
    FILE *f = fopen(demo, "r");
    assert_non_null(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    /* the edited copy sits in the source tree's config/ so that its relative city.map holds */
    snprintf(tmp, tn, "%s/config/.test_geo_%d.yaml", src, (int)getpid());
    FILE *o = fopen(tmp, "w");
    assert_non_null(o);
    char *at = from ? strstr(text, from) : NULL;
    if (from) assert_non_null(at);
    if (at) {
        fwrite(text, 1, (size_t)(at - text), o);
        fputs(to, o);
        fputs(at + strlen(from), o);
    } else {
        fputs(text, o);
    }
    fclose(o);
    char *errors = NULL;
    cfg_t *c = cfg_load(tmp, &errors);
    if (!c) fail_msg("%s", errors);
    char *w = cfg_warnings(c);
    cfg_free(c);
    unlink(tmp);
    return w;
}

static void test_check_config_warns(void **state)
{
    (void)state;
    char tmp[1200];
    /* the demo as shipped: nothing to say */
    char *w = load_with(NULL, NULL, tmp, sizeof tmp);
    if (w) fail_msg("demo config warned: %s", w);
    /* LH-05 (line 346 of config/demo.yaml) typed 10 degrees north: 1,100 km away */
    w = load_with("location: {lat: 28.862, lng: 121.243}", "location: {lat: 38.862, lng: 121.243}",
                  tmp, sizeof tmp);
    assert_non_null(w);
    char want[1400];
    snprintf(want, sizeof want,
             "%s:346: halls[5].location: warning: hall LH-05 (lat 38.86200, lng 121.24300) lies ",
             tmp);
    if (strncmp(w, want, strlen(want)) != 0) fail_msg("got: %s\nwant: %s...", w, want);
    /* 38.862 - 29.06641 = 9.7956 deg north of the outline's top: >= 1089 km */
    double km = atof(w + strlen(want));
    assert_in_range((long)km, 1089, 1100);
    assert_int_equal((int)(strchr(w, '\n') - w + 1), (int)strlen(w)); /* one line */
    free(w);
    /* an unreadable outline is a warning (a copied config may leave its map behind), naming
     * the line; the halls are then not checked */
    w = load_with("map: ../assets/map/linhai.geojson", "map: /nonexistent/outline.geojson", tmp,
                  sizeof tmp);
    assert_non_null(w);
    snprintf(want, sizeof want,
             "%s:38: city.map: warning: cannot read GeoJSON '/nonexistent/outline.geojson'", tmp);
    if (strncmp(w, want, strlen(want)) != 0) fail_msg("got: %s\nwant: %s...", w, want);
    free(w);
}

int main(void)
{
    const char *s = getenv("CW_SOURCE_DIR");
    snprintf(src, sizeof src, "%s", s ? s : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square_with_hole),
        cmocka_unit_test(test_linhai),
        cmocka_unit_test(test_check_config_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
